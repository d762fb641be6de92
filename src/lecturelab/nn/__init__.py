"""Building blocks shared by the models, and the lecture-2 training diagnostics."""
