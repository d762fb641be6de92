"""Lecture 4, "beyond strong supervision": learning similarity and self-supervised learning.

Pair and triplet losses (Hadsell et al. 2006; Schroff et al. 2015), NT-Xent (Chen et al. 2020),
triplet miners (random, semi-hard, batch-hard), retrieval metrics (Recall@K, precision@1,
MAP@R; Musgrave et al. 2020) and SimCLR pre-training with a linear probe.
"""
