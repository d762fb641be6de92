"""The toy problem of Jaderberg et al. (2017), Sec. 4 and Fig. 2: maximise
Q(theta) = 1.2 - (theta_0^2 + theta_1^2), the objective we care about (think: validation
accuracy), while gradient ascent only sees the surrogate Q(theta | h) = 1.2 - (h_0 theta_0^2 +
h_1 theta_1^2) (think: training loss under hyperparameters h). With h = (1, 0) a member only
ever shrinks theta_0; with h = (0, 1) only theta_1. Alone, neither reaches the optimum
(Q = 1.2 at theta = 0); a population that copies each other's theta does.
"""

from __future__ import annotations

import numpy as np

from lecturelab.population.pbt import Member

START = (0.9, 0.9)  # theta at initialisation (the paper's Fig. 2)


def objective(theta: np.ndarray) -> float:
    """Q(theta) = 1.2 - sum theta^2: what PBT's evaluation sees."""
    return float(1.2 - np.sum(np.asarray(theta) ** 2))


def surrogate(theta: np.ndarray, h: np.ndarray) -> float:
    """Q(theta | h) = 1.2 - sum h theta^2: what each member's gradient ascent optimises."""
    return float(1.2 - np.sum(np.asarray(h) * np.asarray(theta) ** 2))


def surrogate_gradient(theta: np.ndarray, h: np.ndarray) -> np.ndarray:
    """d Q(theta | h) / d theta = -2 h theta."""
    return -2.0 * np.asarray(h) * np.asarray(theta)


class ToyTask:
    """The toy as a PBT `Trainable`: `state` is theta, hyperparameters are h_0 and h_1."""

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr  # gradient-ascent step size on the surrogate
        self.trajectories: dict[int, list[np.ndarray]] = {}

    def train(self, member: Member, steps: int) -> None:
        h = np.array([member.hyperparams["h0"], member.hyperparams["h1"]])
        theta = np.array(member.state, dtype=np.float64)
        path = self.trajectories.setdefault(member.id, [theta.copy()])
        for _ in range(steps):
            theta = theta + self.lr * surrogate_gradient(theta, h)
            path.append(theta.copy())
        member.state = theta

    def evaluate(self, member: Member) -> float:
        return objective(member.state)


def toy_population(size: int) -> list[Member]:
    """`size` members at theta = (0.9, 0.9), half with h = (1, 0) and half with h = (0, 1)."""
    return [Member(i, {"h0": float(i % 2 == 0), "h1": float(i % 2 == 1)}, np.array(START))
            for i in range(size)]
