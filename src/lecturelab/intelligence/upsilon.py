"""The Monte Carlo estimate of universal intelligence, Upsilon(pi) = sum_mu 2^-K(mu) V_mu^pi
(Legg and Hutter 2007), as Legg and Veness (2011) approximate it: programs of the reference
machine drawn with probability 2^-length stand in for 2^-K(mu), each is run as an environment
for a number of cycles, and V is the agent's mean reward per cycle scaled to [-1, 1]. Each
program is also run with its rewards negated (the antithetic twin; the random agent then
scores 0 in expectation) and its score is the mean of the two. A program that never writes
output or never reads an action gives every agent the same rewards, so its score is exactly 0
for all of them: it is counted without being simulated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from lecturelab.intelligence.agents import AgentSpec
from lecturelab.intelligence.machine import Environment, agent_independent, sample_program

ACTIONS = 3


def run_agent(program: str, agent: AgentSpec, *, cycles: int, step_budget: int, seed: int,
              negate: bool = False) -> tuple[float, int]:
    """V: the agent's mean reward per cycle / 100, and the number of cut-off cycles."""
    env = Environment(program, step_budget=step_budget, seed=seed, negate=negate)
    pi = agent.build(ACTIONS, np.random.default_rng([seed, int(negate)]))
    observation, total = 0, 0.0
    for _ in range(cycles):
        action = pi.act(observation)
        next_observation, reward = env.step(action)
        pi.learn(observation, action, reward, next_observation)
        observation = next_observation
        total += reward
    return total / cycles / 100.0, env.cut_off_cycles


def program_score(program: str, agent: AgentSpec, *, cycles: int, step_budget: int,
                  seed: int) -> tuple[float, bool]:
    """(score, cut off?): the mean of V in the environment and in its negated twin."""
    if agent_independent(program):
        return 0.0, False
    runs = [run_agent(program, agent, cycles=cycles, step_budget=step_budget, seed=seed,
                      negate=negate) for negate in (False, True)]
    return (runs[0][0] + runs[1][0]) / 2, any(cut for _, cut in runs)


@dataclass(frozen=True)
class Interval:
    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, samples: np.ndarray) -> Interval:
        """The sample mean with a normal 95% interval (1.96 standard errors)."""
        mean = float(samples.mean())
        half = 1.96 * float(samples.std(ddof=1)) / np.sqrt(len(samples))
        return cls(mean, mean - half, mean + half)


@dataclass(frozen=True)
class UpsilonEstimate:
    programs: list[str]
    scores: dict[str, np.ndarray]  # agent name -> (n,) score per program
    simulated: np.ndarray  # (n,) bool: the program was run (not agent-independent)
    cut_off: np.ndarray  # (n,) bool: some cycle ran past the step budget

    def upsilon(self, agent: str) -> Interval:
        return Interval.of(self.scores[agent])

    def difference(self, better: str, worse: str) -> Interval:
        """Paired over the same programs: Upsilon(better) - Upsilon(worse)."""
        return Interval.of(self.scores[better] - self.scores[worse])


def estimate_upsilon(agents: Sequence[AgentSpec], *, programs: int, cycles: int,
                     step_budget: int, seed: int, max_length: int = 40) -> UpsilonEstimate:
    """Upsilon of each agent over the same `programs` sampled environments."""
    rng = np.random.default_rng(seed)
    drawn = [sample_program(rng, max_length) for _ in range(programs)]
    scores = {a.name: np.zeros(programs) for a in agents}
    cut = np.zeros(programs, bool)
    for k, program in enumerate(drawn):
        for agent in agents:
            scores[agent.name][k], c = program_score(program, agent, cycles=cycles,
                                                     step_budget=step_budget, seed=seed + k)
            cut[k] |= c
    simulated = np.array([not agent_independent(p) for p in drawn])
    return UpsilonEstimate(drawn, scores, simulated, cut)
