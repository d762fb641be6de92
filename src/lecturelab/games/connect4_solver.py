"""An exact connect-four solver: the oracle that labels positions for l1.alphazero_connect4.

Negamax with alpha-beta pruning on the win/draw/loss value, a transposition table of bounds,
and move ordering (most new threats first, centre columns first on ties), with the pruning of
moves that lose at once; it follows Pons, "Solving Connect 4: how to build a perfect AI" (2019),
parts 3-10, on Python integers as bitboards. Values are +1 (the player to move wins), 0 (draw)
and -1 (loss); Allis (1988) showed the empty board is a first-player win by the centre column.
"""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 7, 6
BOTTOM_ROW = sum(1 << (c * 7) for c in range(WIDTH))
BOARD = sum(((1 << HEIGHT) - 1) << (c * 7) for c in range(WIDTH))
COLUMNS = [((1 << HEIGHT) - 1) << (c * 7) for c in range(WIDTH)]
CENTRE_FIRST = [3, 2, 4, 1, 5, 0, 6]


def winning_cells(position: int, mask: int) -> int:
    """The empty cells that would complete four in a row for the owner of `position`."""
    p = position
    cells = (p << 1) & (p << 2) & (p << 3)  # vertical: three stones below
    for s in (7, 6, 8):  # horizontal and the two diagonals
        pair = (p << s) & (p << 2 * s)
        cells |= pair & (p << 3 * s)
        cells |= pair & (p >> s)
        pair = (p >> s) & (p >> 2 * s)
        cells |= pair & (p << s)
        cells |= pair & (p >> 3 * s)
    return cells & (BOARD ^ mask)


def playable(mask: int) -> int:
    """One bit per non-full column: the cell a stone dropped there lands on."""
    return (mask + BOTTOM_ROW) & BOARD


class NodeLimitExceeded(RuntimeError):
    """A solve needed more nodes than the solver's `node_limit`."""


class Connect4Solver:
    """Win/draw/loss values of connect-four positions; the table persists across calls.

    node_limit: the most nodes one public call may search (None: no limit); beyond it the call
    raises NodeLimitExceeded, so a caller can skip positions too hard to label in its time.
    """

    def __init__(self, *, table_size: int = 1_000_000, node_limit: int | None = None) -> None:
        self.table: dict[int, tuple[int, int]] = {}  # position + mask -> (lower, upper) bound
        self.table_size, self.node_limit = table_size, node_limit
        self.nodes, self.stop_at = 0, None

    def value(self, state: np.ndarray) -> int:
        """The value for the player to move of a canonical, non-terminal state (position, mask)."""
        position, mask = self.start(state)
        return self.solve(position, mask)

    def keeping_moves(self, state: np.ndarray) -> tuple[int, np.ndarray]:
        """The value of a non-terminal state and (7,) bool: which moves keep that value.

        After the root value v, each move needs only a null-window test of its child:
        a win is kept by moves to lost children, a draw by moves to children not won.
        """
        position, mask = self.start(state)
        v = self.solve(position, mask)
        keeps = np.zeros(WIDTH, bool)
        for col in range(WIDTH):
            move = playable(mask) & COLUMNS[col]
            if not move:
                continue
            if v == -1 or four(position | move):
                keeps[col] = True
            elif (mask | move) == BOARD:
                keeps[col] = v == 0
            else:
                keeps[col] = self.child_at_most(position ^ mask, mask | move, -v)
        return v, keeps

    def start(self, state: np.ndarray) -> tuple[int, int]:
        """Check a state and start a public call's node budget."""
        position, mask = int(state[0]), int(state[1])
        if four(position ^ mask) or mask == BOARD:
            raise ValueError("connect four position is already over")
        self.stop_at = None if self.node_limit is None else self.nodes + self.node_limit
        return position, mask

    def child_at_most(self, position: int, mask: int, bound: int) -> bool:
        """Whether the value of a position (that is not over) is at most `bound`."""
        if winning_cells(position, mask) & playable(mask):
            return bound >= 1
        return self.negamax(position, mask, mask.bit_count(), bound, bound + 1) <= bound

    def solve(self, position: int, mask: int) -> int:
        if winning_cells(position, mask) & playable(mask):
            return 1
        if len(self.table) > self.table_size:
            self.table.clear()
        stones = mask.bit_count()
        if self.negamax(position, mask, stones, 0, 1) >= 1:  # null windows: win? then loss?
            return 1
        return 0 if self.negamax(position, mask, stones, -1, 0) >= 0 else -1

    def negamax(self, position: int, mask: int, stones: int, alpha: int, beta: int) -> int:
        """Alpha-beta value; the player to move is known not to win with this move."""
        self.nodes += 1
        if self.stop_at is not None and self.nodes > self.stop_at:
            raise NodeLimitExceeded(f"more than {self.node_limit} nodes")
        moves = playable(mask)
        threats = winning_cells(position ^ mask, mask)
        forced = moves & threats
        if forced:
            if forced & (forced - 1):
                return -1  # two threats: one cannot block both
            moves = forced
        moves &= ~(threats >> 1)  # never play just below an opponent's threat
        if not moves:
            return -1
        if stones >= WIDTH * HEIGHT - 2:
            return 0
        key = position + mask
        lower, upper = self.table.get(key, (-1, 1))
        alpha, beta = max(alpha, lower), min(beta, upper)
        if alpha >= beta:
            return alpha
        alpha0, best = alpha, -1
        for move in self.ordered(position, mask, moves):
            value = -self.negamax(position ^ mask, mask | move, stones + 1, -beta, -alpha)
            best = max(best, value)
            alpha = max(alpha, value)
            if alpha >= beta:
                break
        if best <= alpha0:
            self.table[key] = (lower, best)
        elif best >= beta:
            self.table[key] = (best, upper)
        else:
            self.table[key] = (best, best)
        return best

    @staticmethod
    def ordered(position: int, mask: int, moves: int) -> list[int]:
        """The moves, those that make the most new threats first, centre first on ties."""
        scored = []
        for rank, col in enumerate(CENTRE_FIRST):
            move = moves & COLUMNS[col]
            if move:
                threats = winning_cells(position | move, mask).bit_count()
                scored.append((-threats, rank, move))
        return [move for *_, move in sorted(scored)]


def four(stones: int) -> bool:
    """Whether the bitboard `stones` holds four in a row."""
    for s in (1, 7, 6, 8):
        pair = stones & (stones >> s)
        if pair & (pair >> 2 * s):
            return True
    return False
