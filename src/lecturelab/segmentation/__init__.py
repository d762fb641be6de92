"""Semantic segmentation (lecture 4): U-Net and the metrics that judge dense predictions."""
