"""A person's move as text ("5": cell or column 5, 1-based) -> the game's action, or one line
saying why not. Only ASCII digits count: "²" or "٣" are digits to Python but not moves."""

from __future__ import annotations

import numpy as np

from lecturelab.errors import LabError
from lecturelab.games.base import Game


def parse_move(game: Game, state: np.ndarray, text: str) -> int:
    """The action (0-based) of the 1-based move `text` in `state`, which must be legal."""
    noun = "cell" if game.name == "tictactoe" else "column"
    move = text.strip()
    if not (move.isascii() and move.isdigit() and len(move) <= 3
            and 1 <= int(move) <= game.num_actions):
        raise LabError(f"{text[:20]!r} is not a {noun}: type a number from 1 to "
                       f"{game.num_actions}")
    legal = game.legal_moves(state[None])[0]
    action = int(move) - 1
    if not legal[action]:
        free = ", ".join(str(a + 1) for a in np.flatnonzero(legal)) or "none"
        raise LabError(f"{noun} {move} is {'taken' if noun == 'cell' else 'full'}; free: {free}")
    return action
