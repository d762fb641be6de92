"""Lecture 1, "what is intelligence": universal intelligence Upsilon (Legg and Hutter 2007)
estimated over environments from a small reference machine (Legg and Veness 2011)."""
