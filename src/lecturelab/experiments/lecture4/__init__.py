"""Lecture 4: advanced computer vision."""
