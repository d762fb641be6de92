"""Lecture 1, "Folding proteins with AlphaFold": folding mapped onto an image. Synthetic chains,
simulated co-varying alignments and their features, the distogram network, folding by gradient
descent, and the structure scores (TM-score, RMSD, lDDT)."""
