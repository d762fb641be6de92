"""`lecturelab train alphazero --game GAME` and `lecturelab play GAME`: lecture 1's agent.

    train_alphazero("connect4", out=Path("checkpoints/alphazero-connect4"), profile="quick")
    play("connect4", checkpoint=Path("checkpoints/alphazero-connect4"), simulations=200,
         human_first=True)

The agent is saved in the project's one checkpoint format (kind "alphazero", train/checkpoint.py)
and read back through `lecturelab.train.api.load_trained`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from lecturelab.cli.core import UserError, app, console
from lecturelab.cli.options import (
    Device,
    Force,
    Out,
    Seed,
    profile_option,
    refuse_resume_with_force,
)
from lecturelab.games import alphazero
from lecturelab.games.agent import Agent, game_record, load_round, save_round
from lecturelab.games.alphazero import RoundState, cpu_threads, training_config
from lecturelab.games.base import Game, Player, get_game
from lecturelab.games.mcts import MCTSPlayer, RolloutEvaluator
from lecturelab.games.moves import parse_move
from lecturelab.runtime import resolve_device
from lecturelab.train.checkpoint import POINTER, training_folder
from lecturelab.train.provenance import check_data

PROFILES = ("smoke", "quick", "full")
train_app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)


@train_app.command(name="alphazero")
def train_alphazero_cli(
    name: Annotated[str, typer.Argument(help="alphazero.")],
    game: Annotated[str | None, typer.Option(help="tictactoe or connect4.")] = None,
    profile: Annotated[str, profile_option(PROFILES, "quick: a CPU; full: for a GPU.")
                       ] = "quick",
    iterations: Annotated[int | None, typer.Option(min=1, help="Self-play rounds (default: "
                                                   "the profile's).")] = None,
    simulations: Annotated[int | None, typer.Option(min=1, help="MCTS simulations a move in "
                                                    "self-play.")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Self-play processes (default: "
                                                "one, the fastest on 2 cores).")] = None,
    device: Device = "auto",
    seed: Seed = 0,
    out: Out = None,
    resume: Annotated[bool, typer.Option(help="Continue the run in --out after its last round "
                                         "(same options).")] = False,
    force: Force = False,
) -> None:
    """Train an AlphaZero agent by self-play (Silver et al. 2018), one checkpoint a round."""
    if game is None:
        raise UserError("train alphazero needs --game tictactoe or --game connect4")
    refuse_resume_with_force(resume, force)
    path = train_alphazero(game, out=out or Path("checkpoints") / f"alphazero-{game}",
                           profile=profile, iterations=iterations, simulations=simulations,
                           workers=workers, seed=seed, device=device, force=force,
                           resume=resume)
    console.print(f"checkpoint: {path}")


@app.command(name="play")
def play_cli(
    game: Annotated[str, typer.Argument(help="tictactoe, connect4 or ctf.")],
    checkpoint: Annotated[Path | None, typer.Option(help="An AlphaZero training folder (ctf: "
                                                    "a capture-the-flag checkpoint).")] = None,
    simulations: Annotated[int, typer.Option(min=1, help="The agent's MCTS simulations a move.")
                           ] = 200,
    second: Annotated[bool, typer.Option(help="Let the agent move first.")] = False,
    seed: Seed = 0,
) -> None:
    """Play against the agent in the terminal (without a checkpoint: pure-rollout MCTS; ctf:
    scripted agents)."""
    if game == "ctf":
        from lecturelab.cli.ctf import play_ctf

        play_ctf(checkpoint=checkpoint, seed=seed)
        return
    play(game, checkpoint=checkpoint, simulations=simulations, human_first=not second, seed=seed)


def train_alphazero(game: str, *, out: Path, profile: str = "quick",
                    iterations: int | None = None, simulations: int | None = None,
                    workers: int | None = None, seed: int = 0, device: str = "auto",
                    progress: bool = True, force: bool = False, resume: bool = False) -> Path:
    """Train an agent by self-play; after every round the checkpoint in `out` is replaced
    atomically. `out` is locked for the run; one holding a checkpoint needs `resume` (continue
    it exactly: same options, same game rules) or `force`. Returns the path of
    checkpoint.json."""
    changes: dict[str, Any] = {k: v for k, v in (("iterations", iterations),
                                                 ("num_simulations", simulations),
                                                 ("workers", workers)) if v is not None}
    cfg = training_config(game, profile, **changes)
    out = Path(out)
    with training_folder(out, force=force, resume=resume):
        start = resumed_round(out, game, cfg, seed) if resume else None
        return _self_play(game, cfg, out, seed, device, progress, start)


def resumed_round(out: Path, game: str, cfg: Any, seed: int) -> RoundState:
    """The saved state of the run in `out`, which must be this game, config and seed."""
    state, meta = load_round(out)
    check_data(out, meta.get("dataset"), game_record(game), action="--resume")
    for key, value in (("game", game), ("config", asdict(cfg)), ("seed", seed)):
        if meta.get(key) != value:
            raise UserError(f"cannot resume {out}: its {key} is {meta.get(key)!r}, this run's "
                            f"is {value!r}")
    return state


def _self_play(game: str, cfg: Any, out: Path, seed: int, device: str, progress: bool,
               start: RoundState | None) -> Path:
    """The run itself, in a held training folder."""

    def on_state(state: RoundState) -> None:
        save_round(out, state, game=game, net_kwargs=cfg.net_kwargs(),
                   meta={"config": asdict(cfg), "seed": seed})
        stats = state.history[-1]
        if progress:
            print(f"round {state.round}/{cfg.iterations}: {stats['positions']} positions, "
                  f"value loss {stats['value_loss']:.3f}, policy loss "
                  f"{stats['policy_loss']:.3f}, {stats['seconds']:.1f} s", flush=True)

    alphazero.train_alphazero(cfg, seed=seed, device=resolve_device(device), start=start,
                              on_state=on_state)
    return out / POINTER


def play(game: str, *, checkpoint: Path | None, simulations: int = 200,
         human_first: bool = True, input_fn: Callable[[str], str] = input,
         print_fn: Callable[..., None] = print, seed: int = 0) -> int | None:
    """A person plays the agent in the terminal. Without a checkpoint the opponent is
    pure-rollout MCTS. Returns the person's result (+1 win, 0 draw, -1 loss), None if the
    input ends first."""
    rules = get_game(game)
    if simulations < 1:
        raise ValueError(f"simulations must be at least 1, got {simulations}")
    opponent = opponent_for(rules, checkpoint, simulations, seed)
    print_fn(f"{game}: you are {'X, first' if human_first else 'O, second'}; the opponent is "
             f"{'the agent in ' + str(checkpoint) if checkpoint else 'pure-rollout MCTS'} "
             f"({simulations} simulations a move).")
    state, human_to_move = rules.initial_states(1), human_first
    with cpu_threads(1):
        while np.isnan(rules.terminal_value(state)[0]):
            print_fn(rules.render(state[0]))
            if human_to_move:
                move = ask_move(rules, state, input_fn, print_fn)
                if move is None:
                    print_fn("game abandoned")
                    return None
            else:
                move = int(opponent.choose(state)[0])
                print_fn(f"the agent plays {move + 1}")
            state, human_to_move = rules.play(state, np.array([move])), not human_to_move
    print_fn(rules.render(state[0]))
    # the terminal value is for the player to move next: -1 means the last mover won
    result = 0 if rules.terminal_value(state)[0] == 0 else (1 if not human_to_move else -1)
    print_fn({1: "you win", 0: "draw", -1: "the agent wins"}[result])
    return result


def opponent_for(rules: Game, checkpoint: Path | None, simulations: int, seed: int) -> Player:
    rng = np.random.default_rng(seed)
    if checkpoint is None:
        return MCTSPlayer(rules, RolloutEvaluator(rules, rng=rng), num_simulations=simulations,
                          rng=rng)
    from lecturelab.train.api import load_trained

    trained = load_trained(checkpoint)
    if trained.kind != "alphazero":
        raise ValueError(f"{checkpoint} holds a {trained.kind}, not an AlphaZero agent")
    if trained.meta["game"] != rules.name:
        raise ValueError(f"{checkpoint} is a {trained.meta['game']} agent, not a {rules.name} one")
    check_data(checkpoint, trained.meta.get("dataset"), game_record(rules.name), action="play")
    return Agent(rules, trained.model, num_simulations=simulations, seed=seed)


def ask_move(rules: Game, state: np.ndarray, input_fn: Callable[[str], str],
             print_fn: Callable[..., None]) -> int | None:
    """Prompt until the person types a legal move (1-based); None at the end of input."""
    noun = "cell" if rules.name == "tictactoe" else "column"
    while True:
        try:
            text = input_fn(f"your move ({noun} 1-{rules.num_actions}): ")
        except EOFError:
            return None
        try:
            return parse_move(rules, state[0], text)
        except ValueError as e:
            print_fn(str(e))
