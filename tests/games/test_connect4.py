"""Connect-four bitboards and the exact solver, checked against brute-force minimax."""

import numpy as np
import pytest

from lecturelab.games.connect4 import Connect4, from_moves
from lecturelab.games.connect4_solver import Connect4Solver, NodeLimitExceeded

GAME = Connect4()


def brute_force(state: np.ndarray) -> int:
    """Plain minimax, no pruning: the value for the player to move."""
    over = GAME.terminal_value(state[None])[0]
    if not np.isnan(over):
        return int(over)
    legal = np.flatnonzero(GAME.legal_moves(state[None])[0])
    return max(-brute_force(GAME.play(state[None], np.array([a]))[0]) for a in legal)


def late_positions(n: int, stones: int, seed: int) -> list[np.ndarray]:
    rng, found = np.random.default_rng(seed), []
    while len(found) < n:
        state = GAME.initial_states(1)
        for _ in range(stones):
            legal = np.flatnonzero(GAME.legal_moves(state)[0])
            state = GAME.play(state, np.array([rng.choice(legal)]))
            if not np.isnan(GAME.terminal_value(state)[0]):
                break
        else:
            found.append(state[0])
    return found


@pytest.mark.parametrize("moves", ["4455667", "1212121", "12233434544", "76655454344"])
def test_four_in_a_row_ends_the_game(moves):
    assert np.isnan(GAME.terminal_value(from_moves(moves[:-1])[None])[0])
    assert GAME.terminal_value(from_moves(moves)[None])[0] == -1  # the player to move lost


def test_full_column_is_illegal_and_board_shows_stones():
    state = from_moves("444444")
    assert GAME.legal_moves(state[None])[0].tolist() == [True] * 3 + [False] + [True] * 3
    with pytest.raises(ValueError, match="not full"):
        GAME.play(state[None], np.array([3]))
    np.testing.assert_array_equal(GAME.board(state)[:, 3], [-1, 1, -1, 1, -1, 1])  # top first


def test_mirror_symmetry():
    state = from_moves("112")
    planes = GAME.encode(state[None])
    policy = np.arange(7, dtype=np.float32)[None]
    (p0, pi0), (p1, pi1) = GAME.symmetries(planes, policy)
    np.testing.assert_array_equal(p1, GAME.encode(from_moves("776")[None]))
    np.testing.assert_array_equal(pi1[0], policy[0, ::-1])


def test_solver_hand_worked_positions():
    solver = Connect4Solver()
    # X to move, three in a row on the bottom with both ends open: X wins at once in column
    # 3 or 7, and any other move keeps the win too (O cannot block both ends)
    assert solver.keeping_moves(from_moves("445566"))[0] == 1
    assert solver.keeping_moves(from_moves("445566"))[1].all()
    # O to move against the same two open threats: lost, whatever O plays
    assert solver.value(from_moves("44556")) == -1
    with pytest.raises(ValueError, match="already over"):
        solver.value(from_moves("4455667"))


def test_solver_matches_brute_force_on_late_positions():
    solver = Connect4Solver()
    for state in late_positions(12, 33, seed=0):
        assert solver.value(state) == brute_force(state)
        value, keeps = solver.keeping_moves(state)
        for col in np.flatnonzero(GAME.legal_moves(state[None])[0]):
            child = GAME.play(state[None], np.array([col]))[0]
            over = GAME.terminal_value(child[None])[0]
            child_value = -int(over) if not np.isnan(over) else -brute_force(child)
            assert keeps[col] == (child_value == value)


def test_node_limit_stops_a_long_solve():
    with pytest.raises(NodeLimitExceeded):
        Connect4Solver(node_limit=50).value(from_moves("44"))
