"""lecturelab: the DeepMind x UCL Deep Learning lectures (2020), 1-4, as runnable, checked code."""

__version__ = "0.1.0"
