import numpy as np
import pytest

from lecturelab.intelligence.agents import AgentSpec
from lecturelab.intelligence.upsilon import Interval, estimate_upsilon, program_score


def play_bandit(spec, steps=600, seed=0):
    """Two arms paying 1 with probability 0.2 and 0.8: the share of the last 200 pulls that go
    to the better arm."""
    rng = np.random.default_rng(seed)
    agent = spec.build(2, np.random.default_rng(seed + 1))
    best = []
    for _ in range(steps):
        a = agent.act(0)
        r = float(rng.random() < (0.8 if a == 1 else 0.2))
        agent.learn(0, a, r, 0)
        best.append(a == 1)
    return np.mean(best[-200:])


def test_learning_agents_find_the_better_arm_and_random_does_not():
    assert play_bandit(AgentSpec("frequency")) > 0.9
    assert play_bandit(AgentSpec("q_learning")) > 0.85
    assert 0.35 < play_bandit(AgentSpec("random")) < 0.65


def test_q_learning_uses_the_observation_and_frequency_cannot():
    """Reward 1 when the action equals the observation (a random bit): only Q can learn it."""
    def play(spec):
        rng = np.random.default_rng(0)
        agent = spec.build(2, np.random.default_rng(1))
        obs, hits = int(rng.integers(2)), []
        for _ in range(600):
            a = agent.act(obs)
            nxt = int(rng.integers(2))
            agent.learn(obs, a, float(a == obs), nxt)
            hits.append(a == obs)
            obs = nxt
        return np.mean(hits[-200:])
    assert play(AgentSpec("q_learning")) > 0.9
    assert play(AgentSpec("frequency")) < 0.7


def test_unknown_agent_is_an_error():
    with pytest.raises(ValueError, match="unknown agent"):
        AgentSpec("oracle").build(2, np.random.default_rng(0))


def test_agent_independent_programs_score_zero_for_everyone():
    for program in ["", "+.", ",,+", "%.."]:
        assert program_score(program, AgentSpec("frequency"), cycles=50, step_budget=20,
                             seed=0) == (0.0, False)


def test_a_bandit_program_orders_random_below_frequency():
    # reward = the action (0, 1 or 2 -> -100, -50, 0): the best is action 2, worth 0; in the
    # negated twin action 0 pays +100. The score is the mean of the two: at best 0.5
    kw = dict(cycles=200, step_budget=20, seed=0)
    random, _ = program_score(",..", AgentSpec("random"), **kw)
    freq, _ = program_score(",..", AgentSpec("frequency"), **kw)
    assert abs(random) < 0.1 and 0.45 < freq <= 0.5


def test_interval_by_hand_and_estimate_is_paired():
    iv = Interval.of(np.array([1.0, 2.0, 3.0]))
    assert iv.mean == 2.0 and iv.high - iv.mean == pytest.approx(1.96 / np.sqrt(3))
    est = estimate_upsilon([AgentSpec("random"), AgentSpec("frequency")], programs=30,
                           cycles=40, step_budget=30, seed=0)
    assert len(est.programs) == 30 and est.scores["random"].shape == (30,)
    diff = est.difference("frequency", "random")
    assert diff.mean == pytest.approx(est.upsilon("frequency").mean - est.upsilon("random").mean)
