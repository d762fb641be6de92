"""Training: one loop with callbacks, checkpoints, DDP, and the over-fit-one-batch check."""
