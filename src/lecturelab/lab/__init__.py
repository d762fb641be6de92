"""The lab: experiments, their checks and verdicts, the runner and the HTML lab book."""

from lecturelab.lab.core import (
    PROFILES,
    Check,
    ExperimentSpec,
    Result,
    Run,
    experiment,
    get_experiment,
    list_experiments,
)

__all__ = ["PROFILES", "Check", "ExperimentSpec", "Result", "Run", "experiment",
           "get_experiment", "list_experiments"]
