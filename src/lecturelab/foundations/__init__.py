"""Lecture 2 foundations: autodiff, linear regions, approximators, separability, losses."""
