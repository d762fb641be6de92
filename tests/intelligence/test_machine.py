import numpy as np
import pytest

from lecturelab.intelligence.machine import (
    Environment,
    agent_independent,
    bracket_pairs,
    program_bits,
    reward_of,
    sample_program,
)


def run(program, actions, **kw):
    env = Environment(program, **kw)
    return [env.step(a) for a in actions], env


def test_rewards_span_minus_to_plus_100():
    assert [reward_of(s) for s in range(5)] == [-100, -50, 0, 50, 100]


def test_action_is_read_and_written_as_observation_and_reward():
    out, _ = run(",..", [0, 2, 1])
    assert out == [(0, -100.0), (2, 0.0), (1, -50.0)]


def test_work_tape_persists_between_cycles():
    out, _ = run("+..", [0, 0, 0, 0, 0])
    assert out == [(1, -50.0), (2, 0.0), (3, 50.0), (4, 100.0), (0, -100.0)]


def test_input_tape_holds_recent_actions():
    # reads the latest action, then the one before; writes the latest as observation and the
    # earlier one as reward
    out, _ = run(",>,<.>.<", [1, 2, 0])
    assert out == [(1, -100.0), (2, -50.0), (0, 0.0)]


def test_loop_and_non_halting_program_is_cut_off():
    out, env = run("+[]", [0, 1, 2], step_budget=50)
    assert out == [(0, 0.0)] * 3 and env.cut_off_cycles == 3
    out, env = run("++++[-].+.", [0])  # a loop that ends: obs 0, reward 1
    assert out == [(0, -50.0)] and env.cut_off_cycles == 0


def test_negated_twin_flips_rewards_and_random_bits_repeat_by_seed():
    a, _ = run("%..", [0] * 20, seed=3)
    b, _ = run("%..", [0] * 20, seed=3, negate=True)
    assert [r for _, r in a] == [-r for _, r in b] and {o for o, _ in a} == {0, 1}


def test_bad_programs_are_rejected():
    with pytest.raises(ValueError, match="never closed"):
        bracket_pairs("+[")
    with pytest.raises(ValueError, match="no '\\['"):
        Environment("]")
    with pytest.raises(ValueError, match="symbols outside"):
        Environment("+x")


def test_sampled_programs_are_valid_and_short_ones_are_likely():
    rng = np.random.default_rng(0)
    programs = [sample_program(rng) for _ in range(2000)]
    for p in programs[:200]:
        bracket_pairs(p)
    # P(empty) / P(one '+') = 10 under 2^-length with 10 codes
    empty, plus = programs.count(""), programs.count("+")
    assert 5 < empty / max(plus, 1) < 20
    assert program_bits("") == pytest.approx(np.log2(10))
    assert agent_independent("+.") and agent_independent(",+") and not agent_independent(",.")
