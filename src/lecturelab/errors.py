"""The project's one error type for bad input: a file, record or value that is not what was
expected. It is a ValueError, so every caller (and the CLI, which prints it as one line with
exit code 2) that handles ValueError handles it too."""

from __future__ import annotations


class LabError(ValueError):
    """Bad input, named with what was expected; the message is one line."""


def one_line(text: str, limit: int = 200) -> str:
    """`text` fit for a one-line message: line breaks shown as \\n, cut at `limit`."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[:limit] + "..."
