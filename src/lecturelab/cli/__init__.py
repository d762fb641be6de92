"""The `lecturelab` command: list, run and report experiments; train, evaluate and play.

One Typer app (cli/core.py); each file here adds its commands: experiments.py (list, run,
report), training.py (train, dispatching to one command per kind of training: classifiers.py,
detectors.py, games.py), evaluation.py (eval), games.py (play; ctf.py for capture the flag),
population.py (tune), bench.py (bench). User errors (unknown names, invalid values, missing
files) end with exit code 2 and one line on stderr.
"""

from lecturelab.cli import (  # noqa: F401
    bench,
    evaluation,
    experiments,
    games,
    population,
    training,
)
from lecturelab.cli.core import UserError, app, main

__all__ = ["UserError", "app", "main"]
