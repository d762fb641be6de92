"""Fuzz the games' move parsers: any text is a legal move or one line of LabError."""

import numpy as np
import pytest
from fuzz_strategies import HOSTILE
from hypothesis import given
from hypothesis import strategies as st

from lecturelab.errors import LabError
from lecturelab.games.connect4 import Connect4, from_moves
from lecturelab.games.moves import parse_move
from lecturelab.games.tictactoe import TicTacToe

pytestmark = pytest.mark.stress
UNICODE_DIGITS = ["²", "³", "¹", "٣", "５", "७", "𝟕", "Ⅷ", "½", "⁹"]
move_text = st.one_of(
    st.text(max_size=8),
    st.lists(st.sampled_from(UNICODE_DIGITS + HOSTILE + list("0123456789 +-.")),
             max_size=4).map("".join))


def random_state(game, moves):
    """Play the legal moves among `moves` (indices) from the empty board, until it is over."""
    state = game.initial_states(1)
    for m in moves:
        legal = game.legal_moves(state)[0]
        if not np.isnan(game.terminal_value(state)[0]) or not legal.any():
            break
        state = game.play(state, np.array([np.flatnonzero(legal)[m % legal.sum()]]))
    return state[0]


@given(game=st.sampled_from([TicTacToe(), Connect4()]),
       moves=st.lists(st.integers(0, 100), max_size=20), text=move_text)
def test_a_typed_move_is_legal_or_refused_in_one_line(game, moves, text):
    state = random_state(game, moves)
    try:
        action = parse_move(game, state, text)
    except LabError as e:
        assert "\n" not in str(e) and ("is not a" in str(e) or "; free: " in str(e))
        return
    assert text.strip().isascii() and game.legal_moves(state[None])[0, action]
    assert action == int(text.strip()) - 1


@given(st.lists(st.sampled_from([*"1234567", *"08²٣x"]), max_size=12).map("".join))
def test_a_connect4_move_string_is_a_position_or_refused(moves):
    try:
        state = from_moves(moves)
    except LabError as e:
        assert "\n" not in str(e)
        return
    assert set(moves) <= set("1234567") and np.count_nonzero(Connect4().board(state)) == len(moves)
