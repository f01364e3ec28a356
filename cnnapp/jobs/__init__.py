"""Jobs: the queue of training processes (worker, fair_queue, processes), the warm trainer, uploads, sessions."""
