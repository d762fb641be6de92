"""Lecture 2: neural network foundations."""
