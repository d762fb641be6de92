"""Agents measured by the Upsilon estimate (Legg and Veness 2011, Sec. 6 used random, a
frequency agent, Q(0) and Q(lambda) and others): every agent sees the last observation and
reward and returns an action. Settings are fixed here, before any measurement."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class Agent:
    """act(observation) -> action; learn(observation, action, reward, next_observation)."""

    def __init__(self, actions: int, rng: np.random.Generator) -> None:
        self.actions = actions
        self.rng = rng

    def act(self, observation: int) -> int:
        raise NotImplementedError

    def learn(self, observation: int, action: int, reward: float, next_observation: int) -> None:
        pass

    def _greedy(self, values: np.ndarray) -> int:
        """Argmax with ties broken at random."""
        best = np.flatnonzero(values == values.max())
        return int(best[0] if len(best) == 1 else self.rng.choice(best))


class RandomAgent(Agent):
    def act(self, observation: int) -> int:
        return int(self.rng.integers(self.actions))


class FrequencyAgent(Agent):
    """Epsilon-greedy on each action's mean reward so far, ignoring observations (a bandit
    learner); untried actions first."""

    def __init__(self, actions: int, rng: np.random.Generator, *, epsilon: float = 0.05) -> None:
        super().__init__(actions, rng)
        self.epsilon = epsilon
        self.total = np.zeros(actions)
        self.count = np.zeros(actions)

    def act(self, observation: int) -> int:
        if not self.count.all():
            return int(np.flatnonzero(self.count == 0)[0])
        if self.rng.random() < self.epsilon:
            return int(self.rng.integers(self.actions))
        return self._greedy(self.total / self.count)

    def learn(self, observation: int, action: int, reward: float, next_observation: int) -> None:
        self.total[action] += reward
        self.count[action] += 1


@dataclass
class QSettings:
    epsilon: float = 0.05  # exploration rate, as the frequency agent's
    alpha: float = 0.5  # learning rate (most sampled environments are deterministic)
    gamma: float = 0.5  # discount


class QLearningAgent(Agent):
    """Tabular Q-learning (Watkins 1989), epsilon-greedy, with the observation as the state;
    like the frequency agent it first tries each untried action (here: in each state)."""

    def __init__(self, actions: int, rng: np.random.Generator,
                 settings: QSettings | None = None) -> None:
        super().__init__(actions, rng)
        self.settings = settings or QSettings()
        self.q: dict[int, np.ndarray] = {}
        self.tried: dict[int, np.ndarray] = {}

    def _values(self, state: int) -> np.ndarray:
        if state not in self.q:
            self.q[state] = np.zeros(self.actions)
            self.tried[state] = np.zeros(self.actions, bool)
        return self.q[state]

    def act(self, observation: int) -> int:
        values = self._values(observation)
        if not self.tried[observation].all():
            return int(np.flatnonzero(~self.tried[observation])[0])
        if self.rng.random() < self.settings.epsilon:
            return int(self.rng.integers(self.actions))
        return self._greedy(values)

    def learn(self, observation: int, action: int, reward: float, next_observation: int) -> None:
        s = self.settings
        target = reward + s.gamma * self._values(next_observation).max()
        values = self._values(observation)
        values[action] += s.alpha * (target - values[action])
        self.tried[observation][action] = True


@dataclass(frozen=True)
class AgentSpec:
    """An agent by name with its fixed settings, built afresh for every environment."""

    name: str
    kwargs: dict = field(default_factory=dict, hash=False)

    def build(self, actions: int, rng: np.random.Generator) -> Agent:
        kinds = {"random": RandomAgent, "frequency": FrequencyAgent, "q_learning": QLearningAgent}
        if self.name not in kinds:
            raise ValueError(f"unknown agent {self.name!r}; expected one of {', '.join(kinds)}")
        return kinds[self.name](actions, rng, **self.kwargs)
