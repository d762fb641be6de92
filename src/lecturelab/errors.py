"""The project's one error type for bad input: a file, record or value that is not what was
expected. It is a ValueError, so every caller (and the CLI, which prints it as one line with
exit code 2) that handles ValueError handles it too."""

from __future__ import annotations


class LabError(ValueError):
    """Bad input, named with what was expected; the message is one line."""
