"""Connect-four positions from random play, labelled by an exact solver (lecture 1).

The test set of l1.alphazero_connect4: positions reached by uniformly random moves (the number
of stones drawn uniformly from 8..36, "at least 8 moves in"), each labelled with its
game-theoretic value for the player to move (+1 win, 0 draw, -1 loss) and the moves that keep
that value. A position counts only when some legal move changes its value (in a lost position,
or one where every move keeps the value, any move is right, so it measures nothing).

Positions of 8-15 stones take the package's pure-Python solver (connect4_solver.py) from
seconds to many minutes each, so the set is labelled once, offline, and shipped as
`assets/connect4_positions.npz`, like the labelled test sets of Pons (2019).
`python -m lecturelab.games.connect4_positions` rebuilds it: the labels come from BitBully
(Thill; a maintained C++ solver with a 12-ply opening book) when `bitbully` and
`bitbully-databases` are installed, otherwise from connect4_solver (hours). The tests check
the shipped labels against connect4_solver on the positions it solves quickly.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lecturelab.games.connect4 import WIDTH, Connect4, from_moves
from lecturelab.games.connect4_solver import Connect4Solver

ASSET = Path(__file__).parent / "assets" / "connect4_positions.npz"
Labeller = Callable[[str], tuple[int, np.ndarray]]  # moves "4453" -> (value, (7,) keeps)


@dataclass(frozen=True)
class LabelledPositions:
    """Positions with their solved values; `counted` marks those some legal move changes."""

    moves: np.ndarray   # (n,) str: the random moves that reach each position, columns 1..7
    states: np.ndarray  # (n, 2) uint64 canonical states
    values: np.ndarray  # (n,) int8: +1 win, 0 draw, -1 loss for the player to move
    keeps: np.ndarray   # (n, 7) bool: the moves that keep the value (False where illegal)

    @property
    def legal(self) -> np.ndarray:
        return Connect4().legal_moves(self.states)  # (n, 7)

    @property
    def counted(self) -> np.ndarray:
        """(n,) bool: at least one legal move changes the value."""
        return (self.legal & ~self.keeps).any(1)

    @property
    def stones(self) -> np.ndarray:
        return np.char.str_len(self.moves)

    def take(self, rows: np.ndarray) -> LabelledPositions:
        return LabelledPositions(self.moves[rows], self.states[rows], self.values[rows],
                                 self.keeps[rows])


def random_play_moves(stones: int, rng: np.random.Generator) -> str | None:
    """`stones` uniformly random moves as a move string, or None if the game ended first."""
    game, state, moves = Connect4(), Connect4().initial_states(1), []
    for _ in range(stones):
        move = int(rng.choice(np.flatnonzero(game.legal_moves(state)[0])))
        state = game.play(state, np.array([move]))
        moves.append(str(move + 1))
        if not np.isnan(game.terminal_value(state)[0]):
            return None
    return "".join(moves)


def sample_moves(n: int, *, min_stones: int, max_stones: int, seed: int) -> list[str]:
    """n random-play positions (as move strings), stones uniform in min_stones..max_stones."""
    if not 0 <= min_stones <= max_stones < WIDTH * 6:
        raise ValueError(f"stones must satisfy 0 <= min_stones <= max_stones < 42, "
                         f"got {min_stones}..{max_stones}")
    rng, out = np.random.default_rng(seed), []
    while len(out) < n:
        moves = random_play_moves(int(rng.integers(min_stones, max_stones + 1)), rng)
        if moves is not None:
            out.append(moves)
    return out


def label(moves: list[str], labeller: Labeller) -> LabelledPositions:
    """Solve each position: its value and value-keeping moves."""
    values, keeps = zip(*(labeller(m) for m in moves), strict=True)
    return LabelledPositions(np.array(moves), states_after(np.array(moves)),
                             np.array(values, np.int8), np.stack(keeps))


def package_labeller() -> Labeller:
    """Labels from connect4_solver (exact, slow before about 16 stones)."""
    solver = Connect4Solver()
    return lambda moves: solver.keeping_moves(from_moves(moves))


def bitbully_labeller() -> Labeller:
    """Labels from BitBully's exact scores (score > 0: the player to move wins)."""
    from bitbully import BitBully, Board  # optional: only to rebuild the shipped set

    solver = BitBully("default")

    def solve(moves: str) -> tuple[int, np.ndarray]:
        board = Board()
        if not board.play("".join(str(int(c) - 1) for c in moves)):  # BitBully: columns 0..6
            raise ValueError(f"BitBully rejected the moves {moves!r}")
        sign = {c: int(np.sign(s)) for c, s in solver.score_all_moves(board).items()}
        value = max(sign.values())
        return value, np.array([sign.get(c) == value for c in range(WIDTH)])

    return solve


def load_labelled_positions(path: Path = ASSET) -> LabelledPositions:
    """The shipped labelled set (a clear error if the file is missing or malformed)."""
    if not path.exists():
        raise FileNotFoundError(f"labelled connect-four positions not found at {path}; "
                                "rebuild with python -m lecturelab.games.connect4_positions")
    with np.load(path) as data:
        missing = {"moves", "values", "keeps"} - set(data.files)
        if missing:
            raise ValueError(f"{path} lacks the arrays {sorted(missing)}")
        moves, values, keeps = data["moves"], data["values"], data["keeps"]
    if keeps.shape != (len(moves), WIDTH) or values.shape != (len(moves),):
        raise ValueError(f"{path}: expected values (n,) and keeps (n, 7) for {len(moves)} "
                         f"positions, got {values.shape} and {keeps.shape}")
    return LabelledPositions(moves, states_after(moves), values, keeps)


def states_after(moves: np.ndarray) -> np.ndarray:
    """(n, 2) canonical states after each move string (columns 1..7), played in lockstep."""
    game, states = Connect4(), Connect4().initial_states(len(moves))
    lengths = np.char.str_len(moves)
    for k in range(int(lengths.max(initial=0))):
        going = lengths > k
        columns = np.array([int(m[k]) - 1 for m in moves[going]])
        states[going] = game.play(states[going], columns)
    return states


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--positions", type=int, default=1600)
    parser.add_argument("--min-stones", type=int, default=8)
    parser.add_argument("--max-stones", type=int, default=36)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--solver", choices=("bitbully", "package"), default="bitbully")
    parser.add_argument("--out", type=Path, default=ASSET)
    args = parser.parse_args()
    moves = sample_moves(args.positions, min_stones=args.min_stones,
                         max_stones=args.max_stones, seed=args.seed)
    labeller = bitbully_labeller() if args.solver == "bitbully" else package_labeller()
    labelled = label(moves, labeller)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, moves=labelled.moves, values=labelled.values,
                        keeps=labelled.keeps)
    print(f"{len(moves)} positions, {int(labelled.counted.sum())} counted, to {args.out}")


if __name__ == "__main__":
    main()
