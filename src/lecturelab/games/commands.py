"""What `lecturelab train alphazero` and `lecturelab play` call (wired into the CLI by cli.py).

    train_alphazero("connect4", out=Path("checkpoints/alphazero-connect4"), profile="quick")
    play("connect4", checkpoint=Path("checkpoints/alphazero-connect4"), simulations=200,
         human_first=True)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import numpy as np

from lecturelab.games import alphazero
from lecturelab.games.agent import Agent, save_network
from lecturelab.games.alphazero import cpu_threads, training_config
from lecturelab.games.arena import Player
from lecturelab.games.base import Game, get_game
from lecturelab.games.mcts import MCTSPlayer, RolloutEvaluator
from lecturelab.runtime import resolve_device
from lecturelab.train.checkpoint import POINTER


def train_alphazero(game: str, *, out: Path, profile: str = "quick",
                    iterations: int | None = None, simulations: int | None = None,
                    workers: int | None = None, seed: int = 0, device: str = "auto",
                    progress: bool = True) -> Path:
    """Train an agent by self-play; after every round the checkpoint in `out` is replaced
    atomically. Returns the path of checkpoint.json."""
    changes: dict[str, Any] = {k: v for k, v in (("iterations", iterations),
                                                 ("num_simulations", simulations),
                                                 ("workers", workers)) if v is not None}
    cfg = training_config(game, profile, **changes)
    out = Path(out)
    if (out / POINTER).exists():
        raise ValueError(f"{out} already holds a checkpoint; choose another --out")
    history: list[dict[str, float]] = []

    def on_round(i: int, net: Any, stats: dict[str, float]) -> None:
        history.append(stats)
        save_network(out, net, game=game, round=i,
                     meta={"config": asdict(cfg), "seed": seed, "history": history})
        if progress:
            print(f"round {i}/{cfg.iterations}: {stats['positions']} positions, value loss "
                  f"{stats['value_loss']:.3f}, policy loss {stats['policy_loss']:.3f}, "
                  f"{stats['seconds']:.1f} s", flush=True)

    alphazero.train_alphazero(cfg, seed=seed, device=resolve_device(device), on_round=on_round)
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
    agent = Agent.from_checkpoint(checkpoint, num_simulations=simulations, seed=seed)
    if agent.game.name != rules.name:
        raise ValueError(f"{checkpoint} is a {agent.game.name} agent, not a {rules.name} one")
    return agent


def ask_move(rules: Game, state: np.ndarray, input_fn: Callable[[str], str],
             print_fn: Callable[..., None]) -> int | None:
    """Prompt until the person types a legal move (1-based); None at the end of input."""
    legal = rules.legal_moves(state)[0]
    noun = "cell" if rules.name == "tictactoe" else "column"
    while True:
        try:
            text = input_fn(f"your move ({noun} 1-{rules.num_actions}): ").strip()
        except EOFError:
            return None
        if not text.isdigit() or not 1 <= int(text) <= rules.num_actions:
            print_fn(f"'{text}' is not a {noun}: type a number from 1 to {rules.num_actions}")
        elif not legal[int(text) - 1]:
            print_fn(f"{noun} {text} is {'taken' if noun == 'cell' else 'full'}; "
                     f"free: {', '.join(str(a + 1) for a in np.flatnonzero(legal))}")
        else:
            return int(text) - 1
