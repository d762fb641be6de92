"""The one Typer app of `lecturelab`, its console, and how user errors end: one line on stderr
and exit code 2, never a traceback."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table
from typer.exceptions import TyperException

from lecturelab.registry import UnknownNameError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="The DeepMind x UCL Deep Learning lectures 1-4, run and checked.")
console = Console()


class UserError(Exception):
    """A mistake in what the user asked for; reported as one line, exit code 2."""


def print_coco_table(metrics: dict[str, float]) -> None:
    table = Table("metric", "value", title="COCO evaluation (pycocotools)")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.4f}")
    console.print(table)


def main() -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    try:
        code = app(standalone_mode=False)
    except typer.Abort:
        sys.exit(130)
    except typer.Exit as e:
        sys.exit(e.exit_code)
    except TyperException as e:
        if e.format_message():  # an empty message follows a help page already shown
            print(f"error: {one_line(e.format_message())}", file=sys.stderr)
        sys.exit(2)
    except (UserError, UnknownNameError, FileNotFoundError, ValueError) as e:
        print(f"error: {one_line(str(e))}", file=sys.stderr)
        sys.exit(2)
    sys.exit(code if isinstance(code, int) else 0)


def one_line(message: str) -> str:
    return " ".join(message.split())
