"""`python -m lecturelab.cli ...` (as torchrun launches it): the `lecturelab` command."""

from lecturelab.cli import main

main()
