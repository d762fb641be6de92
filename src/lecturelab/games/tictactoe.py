"""Tic-tac-toe for AlphaZero (lecture 1), and its exact minimax solution as an oracle.

A state is 9 int8 cells in the canonical form: +1 the player to move, -1 the opponent, 0 empty;
cells are numbered row by row. The game has 5,478 reachable positions, so the minimax value of
every one is memoised (von Neumann's minimax; the game is a draw under perfect play).
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lecturelab.games.base import Player

LINES = np.array([[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8],
                  [0, 4, 8], [2, 4, 6]])


def dihedral(grid: np.ndarray, k: int) -> np.ndarray:
    """The k-th of the 8 symmetries of a square on the last two axes (4 rotations x flip)."""
    out = np.rot90(grid, k % 4, axes=(-2, -1))
    return np.flip(out, axis=-1) if k >= 4 else out


class TicTacToe:
    """3x3 noughts and crosses; move a is the cell a (0..8, row by row)."""

    name = "tictactoe"
    num_actions = 9
    board_shape = (3, 3)
    state_shape = (9,)
    state_dtype = np.int8

    def initial_states(self, n: int) -> np.ndarray:
        return np.zeros((n, 9), np.int8)

    def legal_moves(self, states: np.ndarray) -> np.ndarray:
        return states == 0

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        if not (states[np.arange(len(states)), actions] == 0).all():
            raise ValueError("tic-tac-toe move must be an empty cell")
        nxt = -states
        nxt[np.arange(len(states)), actions] = -1  # the mover's stone, now the opponent's
        return nxt

    def terminal_value(self, states: np.ndarray) -> np.ndarray:
        lost = (states[:, LINES].sum(-1) == -3).any(-1)  # (n,): the last mover made a line
        full = (states != 0).all(-1)
        value = np.where(full, np.float32(0), np.float32(np.nan))
        value[lost] = -1
        return value

    def encode(self, states: np.ndarray) -> np.ndarray:
        planes = np.stack([states == 1, states == -1], axis=1)  # (n, 2, 9)
        return planes.reshape(-1, 2, 3, 3).astype(np.float32)

    def symmetries(self, planes: np.ndarray,
                   policies: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        grids = policies.reshape(-1, 3, 3)
        return [(np.ascontiguousarray(dihedral(planes, k)),
                 np.ascontiguousarray(dihedral(grids, k)).reshape(-1, 9)) for k in range(8)]

    def board(self, state: np.ndarray) -> np.ndarray:
        first_to_move = np.count_nonzero(state) % 2 == 0
        return (state if first_to_move else -state).reshape(3, 3).astype(np.int8)

    def render(self, state: np.ndarray) -> str:
        marks = {1: "X", -1: "O"}
        cells = [marks.get(int(v), str(i + 1)) for i, v in enumerate(self.board(state).ravel())]
        return "\n".join(" " + " | ".join(cells[r * 3:r * 3 + 3]) for r in range(3))


@cache
def minimax_value(cells: tuple[int, ...]) -> int:
    """Exact value for the player to move of a canonical board: +1 win, 0 draw, -1 loss."""
    state = np.array(cells, np.int8)[None]
    over = TicTacToe().terminal_value(state)[0]
    if not np.isnan(over):
        return int(over)
    return max(-minimax_value(child_cells(cells, a)) for a in range(9) if cells[a] == 0)


def child_cells(cells: tuple[int, ...], action: int) -> tuple[int, ...]:
    child = [-c for c in cells]
    child[action] = -1
    return tuple(child)


def optimal_moves(state: np.ndarray) -> list[int]:
    """The moves that keep the minimax value of a (non-terminal) canonical state."""
    cells = tuple(int(c) for c in state)
    value = minimax_value(cells)
    return [a for a in range(9) if cells[a] == 0 and -minimax_value(child_cells(cells, a)) == value]


class PerfectPlayer:
    """Plays a uniformly random optimal move (the oracle of l1.alphazero_tictactoe)."""

    def __init__(self, *, rng: np.random.Generator) -> None:
        self.rng = rng

    def choose(self, states: np.ndarray) -> np.ndarray:
        return np.array([self.rng.choice(optimal_moves(s)) for s in states], np.int64)


def suboptimal_positions(player: Player) -> int:
    """Walk every game between `player` (either side) and every optimal opponent line; count
    the distinct positions where `player` picks a move that loses value. 0 means it cannot lose
    to a perfect player (one batched `choose` per ply)."""
    game = TicTacToe()
    frontier = {((0,) * 9, mover) for mover in (True, False)}
    mistakes: set[tuple[int, ...]] = set()
    while frontier:
        ours = [s for s, player_moves in frontier if player_moves]
        children = []
        if ours:
            moves = player.choose(np.array(ours, np.int8))
            mistakes |= {s for s, a in zip(ours, moves, strict=True)
                         if a not in optimal_moves(np.array(s))}
            children += [(child_cells(s, int(a)), False) for s, a in zip(ours, moves, strict=True)]
        children += [(child_cells(s, a), True) for s, player_moves in frontier
                     if not player_moves for a in optimal_moves(np.array(s))]
        frontier = {(s, m) for s, m in children
                    if np.isnan(game.terminal_value(np.array([s], np.int8))[0])}
    return len(mistakes)
