"""Connect four (7 columns x 6 rows) on bitboards, for AlphaZero (lecture 1).

A state is two uint64 bitboards in the canonical form (the "position, mask" encoding of
Pons's solver): the stones of the player to move, and all stones. Bit col*7 + row holds the
cell (row 0 at the bottom); the 7th bit of each column stays empty, so one shift-and-and per
direction finds four in a row for a whole batch of boards at once.
"""

from __future__ import annotations

import numpy as np

from lecturelab.games.moves import parse_move

WIDTH, HEIGHT = 7, 6
BOTTOM = np.array([1 << (c * 7) for c in range(WIDTH)], np.uint64)
TOP = np.array([1 << (c * 7 + HEIGHT - 1) for c in range(WIDTH)], np.uint64)
FULL = np.uint64(sum(((1 << HEIGHT) - 1) << (c * 7) for c in range(WIDTH)))
# CELL_BITS[h, c]: the bit of the cell shown in row h (top first) and column c
CELL_BITS = np.array([[c * 7 + (HEIGHT - 1 - h) for c in range(WIDTH)] for h in range(HEIGHT)],
                     np.uint64)
SHIFTS = np.array([1, 7, 6, 8], np.uint64)  # vertical, horizontal, two diagonals


def four_in_a_row(stones: np.ndarray) -> np.ndarray:
    """(n,) bool: whether each bitboard of `stones` (n,) uint64 holds four aligned stones."""
    pairs = stones[:, None] & (stones[:, None] >> SHIFTS)  # (n, 4): two in a row
    return ((pairs & (pairs >> (SHIFTS + SHIFTS))) != 0).any(1)


class Connect4:
    """Connect four; move a drops a stone in column a (0..6, left to right)."""

    name = "connect4"
    num_actions = WIDTH
    board_shape = (HEIGHT, WIDTH)
    state_shape = (2,)
    state_dtype = np.uint64

    def initial_states(self, n: int) -> np.ndarray:
        return np.zeros((n, 2), np.uint64)

    def legal_moves(self, states: np.ndarray) -> np.ndarray:
        return (states[:, 1:2] & TOP) == 0  # (n, 7)

    def play(self, states: np.ndarray, actions: np.ndarray) -> np.ndarray:
        position, mask = states[:, 0], states[:, 1]
        if ((mask & TOP[actions]) != 0).any():
            raise ValueError("connect four move must be a column that is not full")
        nxt = np.empty_like(states)
        nxt[:, 0], nxt[:, 1] = position ^ mask, mask | (mask + BOTTOM[actions])
        return nxt

    def terminal_value(self, states: np.ndarray) -> np.ndarray:
        lost = four_in_a_row(states[:, 0] ^ states[:, 1])  # the last mover's stones
        full = states[:, 1] == FULL
        value = np.where(full, np.float32(0), np.float32(np.nan))
        value[lost] = -1
        return value

    def encode(self, states: np.ndarray) -> np.ndarray:
        own = (states[:, 0, None, None] >> CELL_BITS) & np.uint64(1)  # (n, 6, 7)
        other = ((states[:, 0] ^ states[:, 1])[:, None, None] >> CELL_BITS) & np.uint64(1)
        return np.stack([own, other], axis=1).astype(np.float32)  # (n, 2, 6, 7)

    def symmetries(self, planes: np.ndarray,
                   policies: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        mirror = (np.ascontiguousarray(planes[..., ::-1]), np.ascontiguousarray(policies[:, ::-1]))
        return [(planes, policies), mirror]

    def board(self, state: np.ndarray) -> np.ndarray:
        planes = self.encode(state[None])[0]
        first_to_move = np.bitwise_count(state[1]) % 2 == 0
        sign = 1 if first_to_move else -1
        return (sign * (planes[0] - planes[1])).astype(np.int8)

    def render(self, state: np.ndarray) -> str:
        marks = {1: "X", -1: "O", 0: "."}
        rows = [" ".join(marks[int(v)] for v in row) for row in self.board(state)]
        return "\n".join([*rows, " ".join(str(c + 1) for c in range(WIDTH))])


def from_moves(moves: str) -> np.ndarray:
    """The canonical state after a move string in Pons's notation ("4453": columns 1..7)."""
    game, state = Connect4(), Connect4().initial_states(1)
    for ch in moves:
        state = game.play(state, np.array([parse_move(game, state[0], ch)]))
    return state[0]
