"""Lecture 1: population-based training (Jaderberg et al. 2017), in one process."""
