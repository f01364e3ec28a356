"""Jobs: the queue of training processes, the warm trainer, runs per visitor."""
