"""Tic-tac-toe rules, symmetries and the minimax oracle, on hand-worked positions."""

import numpy as np
import pytest

from lecturelab.games.arena import RandomPlayer, play_games
from lecturelab.games.base import get_game
from lecturelab.games.tictactoe import (
    PerfectPlayer,
    TicTacToe,
    minimax_value,
    optimal_moves,
    suboptimal_positions,
)

GAME = TicTacToe()


def position(moves: list[int]) -> np.ndarray:
    state = GAME.initial_states(1)
    for a in moves:
        state = GAME.play(state, np.array([a]))
    return state[0]


def test_empty_board_is_a_draw():
    assert minimax_value((0,) * 9) == 0
    assert sorted(optimal_moves(position([]))) == list(range(9))  # every opening draws


def test_canonical_form_flips_to_the_player_to_move():
    state = position([4])
    assert state[4] == -1 and (np.delete(state, 4) == 0).all()  # X's stone is the opponent's
    assert GAME.board(state)[1, 1] == 1  # ... and still the first player's on the board


def test_edge_reply_to_centre_loses_and_corners_draw():
    assert sorted(optimal_moves(position([4]))) == [0, 2, 6, 8]
    assert minimax_value(tuple(int(c) for c in position([4, 1]))) == 1  # X to move wins


def test_immediate_win_and_forced_block():
    # X: 0, 1; O: 3, 4 -> X to move completes the top row
    assert optimal_moves(position([0, 3, 1, 4])) == [2]
    # X: 0, 1; O: 4 -> O to move must block at 2
    assert optimal_moves(position([0, 4, 1])) == [2]


def test_terminal_values():
    win = position([0, 3, 1, 4, 2])  # X completes the top row; O to move has lost
    draw = position([0, 1, 2, 4, 3, 5, 7, 6, 8])
    assert GAME.terminal_value(np.stack([win, draw, position([0])])).tolist()[:2] == [-1, 0]
    assert np.isnan(GAME.terminal_value(position([0])[None])[0])


def test_illegal_move_is_an_error():
    with pytest.raises(ValueError, match="empty cell"):
        GAME.play(position([4])[None], np.array([4]))


def test_symmetries_move_stones_and_policy_together():
    state = position([0, 4, 5])
    planes = GAME.encode(state[None])
    policy = GAME.legal_moves(state[None]).astype(np.float32)
    policy /= policy.sum()
    pairs = GAME.symmetries(planes, policy)
    assert len({p.tobytes() for p, _ in pairs}) == 8
    for p, pi in pairs:
        empty = (p[0].sum(0) == 0).ravel()
        np.testing.assert_array_equal(pi[0] > 0, empty)
        cells = (p[0, 0] - p[0, 1]).ravel().astype(int)
        assert minimax_value(tuple(cells)) == minimax_value(tuple(int(c) for c in state))


def test_perfect_player_never_loses_to_random_play():
    rng = np.random.default_rng(0)
    players = [PerfectPlayer(rng=rng), RandomPlayer(GAME, rng=rng)]
    seats = np.repeat([[0, 1], [1, 0]], 50, axis=0)
    results = play_games(GAME, players, seats, GAME.initial_states(100))  # for seat 0
    assert (results[:50] >= 0).all() and (results[50:] <= 0).all()


def test_suboptimal_positions_counts_mistakes():
    rng = np.random.default_rng(0)
    assert suboptimal_positions(PerfectPlayer(rng=rng)) == 0
    assert suboptimal_positions(RandomPlayer(GAME, rng=rng)) > 0


def test_unknown_game_names_the_valid_ones():
    with pytest.raises(ValueError, match="tictactoe, connect4"):
        get_game("chess")
