"""Issue 10, item 11: a typed move is parsed or refused in one line, never crashes; fuzzed in
tests/fuzz/test_fuzz_moves.py."""

import numpy as np
import pytest

from lecturelab.errors import LabError
from lecturelab.games.connect4 import Connect4, from_moves
from lecturelab.games.moves import parse_move
from lecturelab.games.tictactoe import TicTacToe


@pytest.mark.parametrize("text", ["²", "٣", "５", "0", "10", "-1", "+3", "3.0", "", " ", "x",
                                  "1e1", "9" * 5000])
def test_anything_but_an_ascii_cell_number_is_refused(text):
    game = TicTacToe()
    with pytest.raises(LabError, match=r"is not a cell: type a number from 1 to 9$"):
        parse_move(game, game.initial_states(1)[0], text)


def test_cells_and_columns_are_one_based_and_must_be_free():
    game = TicTacToe()
    state = game.play(game.initial_states(1), np.array([4]))[0]
    assert parse_move(game, state, " 1\n") == 0
    with pytest.raises(LabError, match="cell 5 is taken; free: 1, 2, 3, 4, 6, 7, 8, 9"):
        parse_move(game, state, "5")
    full = from_moves("444444")
    assert parse_move(Connect4(), full, "7") == 6
    with pytest.raises(LabError, match="column 4 is full; free: 1, 2, 3, 5, 6, 7"):
        parse_move(Connect4(), full, "4")


@pytest.mark.parametrize("moves", ["0", "8", "4²", "4a"])
def test_a_move_string_outside_columns_1_to_7_is_refused(moves):
    """from_moves("0") used to play column 7 (index -1), "8" to raise IndexError."""
    with pytest.raises(LabError, match="is not a column: type a number from 1 to 7"):
        from_moves(moves)
