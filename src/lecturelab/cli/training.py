"""`lecturelab train NAME ...`: one sub-command per kind of training, chosen by NAME.

    lecturelab train mlp --data digits --epochs 20         # classifier: a registered model
    lecturelab train retinanet --data shapes --steps 300    # detector
    lecturelab train alphazero --game tictactoe             # AlphaZero agent

Each kind is a Typer command with its own options and validation (cli/classifiers.py,
cli/detectors.py, cli/games.py); `KINDS` says which NAMEs each takes. An option of another kind
is an error that names the option and the kind, never silently ignored. A new kind (say, a
video net or a population) is one more command and one more row of `KINDS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

import typer

from lecturelab.cli import classifiers, detectors, games, motion, similarity
from lecturelab.cli.core import UserError, app, console
from lecturelab.registry import UnknownNameError, did_you_mean, list_models


@dataclass(frozen=True)
class TrainerKind:
    """One kind of training: the NAMEs it takes and its command."""

    name: str  # as in error messages: "classifier"
    names: Callable[[], list[str]]  # what `lecturelab train NAME` takes for this kind
    command: typer.Typer  # one command: NAME argument, the kind's options, its validation
    example: str  # one command line, for `lecturelab train --help`

    def click_command(self) -> typer.main.TyperCommand:
        return typer.main.get_command(self.command)

    def options(self) -> set[str]:
        """Every spelling of every option of this kind: --epochs, --augment, --no-augment..."""
        return {name for p in self.click_command().params if p.param_type_name == "option"
                for name in (*p.opts, *p.secondary_opts)}


def detector_names() -> list[str]:
    from lecturelab.train.api import DETECTORS

    return list(DETECTORS)


KINDS = (  # first match wins
    TrainerKind("alphazero", lambda: ["alphazero"], games.train_app,
                "lecturelab train alphazero --game tictactoe"),
    TrainerKind("simclr", lambda: ["simclr"], similarity.simclr_app,
                "lecturelab train simclr --data cifar10"),
    TrainerKind("embedding", lambda: ["embedding"], similarity.embedding_app,
                "lecturelab train embedding --loss triplet --miner semi_hard"),
    TrainerKind("flownet", motion.flownet_names, motion.flow_app,
                "lecturelab train flownet_c --data motion"),
    TrainerKind("detector", detector_names, detectors.train_app,
                "lecturelab train retinanet --data shapes --steps 300"),
    TrainerKind("classifier", list_models, classifiers.train_app,
                "lecturelab train mlp --data digits --epochs 20"),
)


def kind_of(name: str) -> TrainerKind:
    """The kind of training that `name` belongs to; an unknown name suggests close ones."""
    for kind in KINDS:
        if name in kind.names():
            return kind
    everything = [n for kind in KINDS for n in kind.names()]
    raise UnknownNameError(f"unknown model {name!r}{did_you_mean(name, everything)} (see "
                           f"`lecturelab train --help`)")


def check_options(kind: TrainerKind, name: str, args: list[str]) -> None:
    """Each --option in `args` must be one of `kind`'s; name the kinds it belongs to if not."""
    own = kind.options()
    for arg in args:
        option = arg.split("=", 1)[0]
        if not option.startswith("--") or option in own or option == "--help":
            continue
        others = [k.name for k in KINDS if option in k.options()]
        if others:
            raise UserError(f"{option} does not apply to {kind.name} training ({name}); it is "
                            f"an option of {' and '.join(others)} training")
        raise UserError(f"no such option {option} for {kind.name} training ({name})"
                        f"{did_you_mean(option, sorted(own))}")


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True,
                               "help_option_names": []})
def train(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="A classifier (mlp, resnet20, ...), a "
                                               "detector (retinanet, ...), alphazero, flownet_s / "
                                               "flownet_c, simclr or embedding.")] = None,
) -> None:
    """Train a classifier, a detector or an AlphaZero agent; each kind has its own options
    (`lecturelab train NAME --help`)."""
    if name is None or name in ("--help", "-h"):
        print_kinds()
        return
    kind = kind_of(name)
    check_options(kind, name, ctx.args)
    code = kind.click_command().main([name, *ctx.args], prog_name=f"lecturelab train {name}",
                                     standalone_mode=False)
    if isinstance(code, int) and code:
        raise typer.Exit(code)


def print_kinds() -> None:
    console.print("Usage: lecturelab train NAME [OPTIONS]; `lecturelab train NAME --help` lists "
                  "the options of NAME's kind.\n")
    for kind in KINDS:
        names = kind.names()
        shown = ", ".join(names[:8]) + (f", ... ({len(names)} in all)" if len(names) > 8 else "")
        console.print(f"[bold]{kind.name}[/]: {shown}\n  e.g. {kind.example}\n  options: "
                      f"{' '.join(sorted(o for o in kind.options() if o != '--help'))}\n")
