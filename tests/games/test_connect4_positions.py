"""The labelled connect-four positions: sampling, counting, and the shipped labels checked
against the package's own exact solver (they were made by BitBully, a separate C++ solver)."""

import numpy as np
import pytest

from lecturelab.games.connect4 import Connect4, from_moves
from lecturelab.games.connect4_positions import (
    LabelledPositions,
    label,
    load_labelled_positions,
    package_labeller,
    sample_moves,
    states_after,
)

GAME = Connect4()


@pytest.fixture(scope="module")
def shipped() -> LabelledPositions:
    return load_labelled_positions()


def test_counted_needs_a_legal_move_that_changes_the_value():
    moves = ["445566", "44556", "444444"]
    keeps = np.array([[1, 1, 1, 1, 1, 1, 1],    # won, any move keeps it: not counted
                      [1, 1, 1, 1, 1, 1, 1],    # lost: every move keeps the loss
                      [1, 1, 1, 0, 0, 1, 1]],   # column 4 is full; column 5 loses
                     bool)
    positions = LabelledPositions(np.array(moves), np.stack([from_moves(m) for m in moves]),
                                  np.array([1, -1, 0], np.int8), keeps)
    assert positions.counted.tolist() == [False, False, True]
    assert positions.stones.tolist() == [6, 5, 6]


def test_states_after_plays_each_move_string():
    moves = np.array(["4", "4453", "1234567", "444444"])
    np.testing.assert_array_equal(states_after(moves), np.stack([from_moves(m) for m in moves]))


def test_sampled_positions_are_reproducible_unfinished_and_in_range():
    first = sample_moves(12, min_stones=8, max_stones=12, seed=1)
    assert first == sample_moves(12, min_stones=8, max_stones=12, seed=1)
    assert all(8 <= len(m) <= 12 for m in first)
    states = np.stack([from_moves(m) for m in first])
    assert np.isnan(GAME.terminal_value(states)).all()
    with pytest.raises(ValueError, match="min_stones <= max_stones"):
        sample_moves(1, min_stones=10, max_stones=8, seed=0)


def test_package_labels_late_positions_like_the_solver():
    moves = sample_moves(3, min_stones=30, max_stones=34, seed=2)
    labelled = label(moves, package_labeller())
    assert labelled.keeps.shape == (3, 7)
    lost = labelled.values == -1
    assert (labelled.keeps[lost] == labelled.legal[lost]).all()


def test_shipped_set_covers_the_claim(shipped):
    assert shipped.stones.min() == 8 and shipped.stones.max() <= 36
    assert shipped.counted.sum() >= 1000  # the full profile's 1000 positions
    assert set(np.unique(shipped.values)) <= {-1, 0, 1}
    assert not (shipped.keeps & ~shipped.legal).any()  # only legal moves keep the value
    assert shipped.keeps.any(1).all()  # some move always keeps the value
    assert not shipped.counted[shipped.values == -1].any()  # a lost position never counts
    assert np.isnan(GAME.terminal_value(shipped.states)).all()


def test_shipped_labels_match_the_package_solver(shipped):
    """The two solvers agree on values and on every value-keeping move (20+ stones: fast)."""
    rows = np.flatnonzero(shipped.stones >= 20)[:40]
    again = label([str(m) for m in shipped.moves[rows]], package_labeller())
    np.testing.assert_array_equal(again.values, shipped.values[rows])
    np.testing.assert_array_equal(again.keeps, shipped.keeps[rows])


def test_loading_a_missing_or_malformed_file_says_what_is_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="labelled connect-four positions"):
        load_labelled_positions(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, moves=np.array(["44"]), values=np.array([0]))
    with pytest.raises(ValueError, match="lacks the arrays"):
        load_labelled_positions(bad)
    np.savez(bad, moves=np.array(["44"]), values=np.array([0]), keeps=np.ones((1, 6), bool))
    with pytest.raises(ValueError, match=r"keeps \(n, 7\)"):
        load_labelled_positions(bad)
