"""The game interface shared by MCTS, self-play and the arena (lecture 1, AlphaZero).

A game works on batches of states: numpy arrays whose first axis is the batch. States are
always in the canonical form for the player to move (their own stones are "ours"), so the
search, the network and the value targets never need to know whose turn it is; the value of a
state is from the point of view of the player to move, as in Silver et al. (2017), Methods.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np


class Game(Protocol):
    """Two-player, zero-sum, alternating-move board game with a fixed action set."""

    name: str
    num_actions: int                 # A: moves are integers 0..A-1
    board_shape: tuple[int, int]     # (H, W) of the network's input planes
    state_shape: tuple[int, ...]     # one canonical state
    state_dtype: type

    def initial_states(self, n: int) -> np.ndarray:
        """(n, *state_shape) empty boards."""
        ...

    def legal_moves(self, states: np.ndarray) -> np.ndarray:
        """(n, A) bool."""
        ...

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        """Play `actions` (n,) and return the canonical states for the next player to move."""
        ...

    def terminal_value(self, states: np.ndarray) -> np.ndarray:
        """(n,) float32: NaN while the game goes on, else -1 (the player to move lost) or 0."""
        ...

    def encode(self, states: np.ndarray) -> np.ndarray:
        """(n, 2, H, W) float32 planes: the player to move's stones, then the opponent's."""
        ...

    def symmetries(self, planes: np.ndarray,
                   policies: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """The board's symmetries applied to (n, 2, H, W) planes and (n, A) policies."""
        ...

    def board(self, state: np.ndarray) -> np.ndarray:
        """(H, W) int8 for one state: +1 first player's stones, -1 second player's, 0 empty."""
        ...

    def render(self, state: np.ndarray) -> str:
        """The board as text, with the move numbers a person types."""
        ...


class Player(Protocol):
    """Anything that picks moves: an MCTS player, the perfect tic-tac-toe player, a random one."""

    def choose(self, states: np.ndarray) -> np.ndarray:
        """(n,) moves for a batch of canonical states (n, *state_shape)."""
        ...


def get_game(name: str) -> Game:
    """The game called `name`; a ValueError names the valid games."""
    from lecturelab.games.connect4 import Connect4
    from lecturelab.games.tictactoe import TicTacToe

    games = {"tictactoe": TicTacToe, "connect4": Connect4}
    if name not in games:
        raise ValueError(f"unknown game {name!r}; expected one of {', '.join(games)}")
    return games[name]()


def check_states(game: Game, states: np.ndarray) -> np.ndarray:
    """`states` as a batch (a single state gets a batch axis); wrong shapes are a ValueError."""
    states = np.asarray(states, dtype=game.state_dtype)
    if states.shape == game.state_shape:
        states = states[None]
    if states.shape[1:] != game.state_shape:
        raise ValueError(f"{game.name} states must have shape (n, {game.state_shape}) "
                         f"or {game.state_shape}, got {states.shape}")
    return states
