"""`python -m lecturelab ...`: the `lecturelab` command, for a tree run with PYTHONPATH=src."""

from lecturelab.cli import main

main()
