"""Lecture 3: convolutional networks."""
