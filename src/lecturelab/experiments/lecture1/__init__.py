"""Lecture 1: introduction (AlphaZero, population training, AlphaFold, intelligence)."""
