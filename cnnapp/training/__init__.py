"""Training: the config, the loops, one run start to finish, and what a run reports."""
