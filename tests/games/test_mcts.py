"""PUCT search on small hand-worked trees (visit counts, backup signs, root noise, batching)."""

import numpy as np
import pytest

from lecturelab.games.mcts import RolloutEvaluator, search, select_action, uniform_priors
from lecturelab.games.tictactoe import TicTacToe

GAME = TicTacToe()


def fixed(prior: list[float], value: float = 0.0):
    """An evaluator with the same prior (renormalised over legal moves) and value everywhere."""
    def evaluate(states):
        p = np.array(prior, np.float64) * GAME.legal_moves(states)
        return p / p.sum(1, keepdims=True), np.full(len(states), value)
    return evaluate


PRIOR = [0.7, 0.2, 0.1, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6, 1e-6]


@pytest.mark.parametrize("sims,visits", [(1, [1, 0, 0]), (3, [3, 0, 0]), (4, [3, 1, 0]),
                                         (5, [4, 1, 0])])
def test_puct_visits_follow_the_hand_worked_order(sims, visits):
    # values 0 everywhere, so Q = 0 and the choice is argmax P sqrt(N(s)) / (1 + N(s,a)), c=1:
    # sim 1 (N=1): U = .7, .2, .1 -> a0; sim 2 (N=2): .49, .28 -> a0; sim 3 (N=3): .40, .35
    # -> a0; sim 4 (N=4): .35, .40 -> a1; sim 5 (N=5): .39, .22, .22 -> a0
    result = search(GAME, fixed(PRIOR), GAME.initial_states(1), num_simulations=sims,
                    c_puct=1.0, rng=np.random.default_rng(0))
    assert result.visit_counts[0, :3].tolist() == visits


def test_backup_negates_the_value_at_each_ply():
    # a leaf worth +0.5 to its player to move is worth -0.5 to the player who moved there;
    # sim 2 then prefers a1 (Q=0, U=.28) over a0 (Q=-.5, U=.49)
    result = search(GAME, fixed(PRIOR, value=0.5), GAME.initial_states(1), num_simulations=2,
                    c_puct=1.0, rng=np.random.default_rng(0))
    assert result.visit_counts[0, :3].tolist() == [1, 1, 0]
    np.testing.assert_allclose(result.q_values[0, :2], [-0.5, -0.5])
    # leaves worth -0.5: a0 gets Q=+.5, so sim 2 goes through a0 to a grandchild, whose -0.5
    # is +0.5 for the child's player and -0.5 again at the root: W(root, a0) = .5 - .5 = 0
    result = search(GAME, fixed(PRIOR, value=-0.5), GAME.initial_states(1), num_simulations=2,
                    c_puct=1.0, rng=np.random.default_rng(0))
    tree, child = result.tree, result.tree.child[0, 0, 0]
    assert result.visit_counts[0, 0] == 2 and tree.value_sum[0, 0, 0] == pytest.approx(0.0)
    assert tree.visits[0, child, 1] == 1 and tree.value_sum[0, child, 1] == pytest.approx(0.5)


def uniform(states):
    return uniform_priors(GAME.legal_moves(states)), np.zeros(len(states))


def test_search_finds_the_winning_move_and_the_forced_block():
    state = GAME.play(GAME.play(GAME.play(GAME.play(GAME.initial_states(1), np.array([0])),
                                          np.array([3])), np.array([1])), np.array([4]))
    win = search(GAME, uniform, state, num_simulations=60, rng=np.random.default_rng(0))
    assert win.visit_counts[0].argmax() == 2 and win.q_values[0, 2] == 1.0
    block_state = GAME.play(GAME.play(GAME.play(GAME.initial_states(1), np.array([0])),
                                      np.array([4])), np.array([1]))
    block = search(GAME, uniform, block_state, num_simulations=200, rng=np.random.default_rng(0))
    assert block.visit_counts[0].argmax() == 2


def test_dirichlet_noise_changes_only_the_root_prior():
    result = search(GAME, fixed(PRIOR), GAME.initial_states(1), num_simulations=8,
                    dirichlet_alpha=0.3, noise_fraction=0.25, rng=np.random.default_rng(0))
    tree = result.tree
    root = tree.prior[0, 0]
    assert not np.allclose(root, PRIOR) and root.sum() == pytest.approx(1.0)
    assert (root >= 0.75 * np.array(PRIOR) - 1e-9).all()  # (1 - eps) p + eps eta
    child = tree.child[0, 0, 0]
    expected = np.array(PRIOR) * GAME.legal_moves(tree.states[0, child][None])[0]
    np.testing.assert_allclose(tree.prior[0, child], expected / expected.sum())


def test_batched_search_equals_one_tree_at_a_time():
    roots = np.stack([GAME.initial_states(1)[0], GAME.play(GAME.initial_states(1),
                                                           np.array([4]))[0]])
    evaluate = fixed([0.3, 0.05, 0.2, 0.05, 0.1, 0.05, 0.15, 0.05, 0.05], value=0.1)
    together = search(GAME, evaluate, roots, num_simulations=30, rng=np.random.default_rng(0))
    for i in range(2):
        alone = search(GAME, evaluate, roots[i:i + 1], num_simulations=30,
                       rng=np.random.default_rng(1))
        np.testing.assert_array_equal(together.visit_counts[i], alone.visit_counts[0])


def test_select_action_temperature():
    rng = np.random.default_rng(0)
    counts = np.array([[1.0, 6.0, 3.0]])
    assert select_action(counts, temperature=0, rng=rng)[0] == 1
    draws = [select_action(counts, temperature=1.0, rng=rng)[0] for _ in range(4000)]
    np.testing.assert_allclose(np.bincount(draws) / 4000, [0.1, 0.6, 0.3], atol=0.03)


def test_rollout_of_a_forced_ending():
    # X (to move) holds 0, 4, 5, 7 and O 1, 2, 3, 6: the last cell, 8, completes 0-4-8
    state = np.array([[1, -1, -1, -1, 1, 1, -1, 1, 0]], np.int8)
    assert RolloutEvaluator(GAME, rng=np.random.default_rng(0))(state)[1][0] == 1.0


def test_search_rejects_finished_games_and_zero_simulations():
    over = GAME.play(GAME.play(GAME.play(GAME.play(GAME.play(
        GAME.initial_states(1), np.array([0])), np.array([3])), np.array([1])),
        np.array([4])), np.array([2]))
    with pytest.raises(ValueError, match="not over"):
        search(GAME, fixed(PRIOR), over, num_simulations=4, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="at least 1"):
        search(GAME, fixed(PRIOR), GAME.initial_states(1), num_simulations=0,
               rng=np.random.default_rng(0))
