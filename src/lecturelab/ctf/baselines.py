"""Baseline teams for capture the flag: a random team, and a scripted team whose agents walk
the shortest path to their target (the enemy flag, or home when carrying it).

A team is anything with `act(game, state, team) -> (G, 2)` actions in the team's own frame
(game.py turns team 1's actions); the two agents of `team` are agents 2*team and 2*team + 1.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from lecturelab.ctf.game import (
    NUM_ACTIONS,
    TEAM,
    TURN_ACTION,
    CaptureTheFlag,
    GameState,
    Observation,
)
from lecturelab.ctf.maps import MOVES


class Team(Protocol):
    def act(self, game: CaptureTheFlag, state: GameState, team: int,
            obs: Observation | None = None) -> np.ndarray:
        """(G, 2) actions for the two agents of `team`; `obs` is game.observe(state) when the
        caller has it already."""


class RandomTeam:
    """Each agent picks one of the five actions uniformly."""

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def act(self, game: CaptureTheFlag, state: GameState, team: int,
            obs: Observation | None = None) -> np.ndarray:
        return self.rng.integers(NUM_ACTIONS, size=(len(state.pos), 2))


class ScriptedTeam:
    """Each agent takes the move that most shortens its path to its target, with probability
    `noise` a random move instead (ties go to the first such move)."""

    def __init__(self, noise: float = 0.1, seed: int = 0):
        if not 0 <= noise <= 1:
            raise ValueError(f"noise must be in [0, 1], got {noise}")
        self.noise, self.rng = noise, np.random.default_rng(seed)

    def act(self, game: CaptureTheFlag, state: GameState, team: int,
            obs: Observation | None = None) -> np.ndarray:
        agents = [2 * team, 2 * team + 1]
        walls, bases = game.pool.walls[state.map_id], game.pool.bases[state.map_id]
        target = game.targets(state, bases)
        lengths = np.stack([game.distance(state, game.move(state.pos, np.full_like(
            state.pos[..., 0], a), walls), target) for a in range(NUM_ACTIONS)], -1)
        best = np.argmin(lengths[:, agents], -1)  # (G, 2) in the map's frame
        best = TURN_ACTION[best] if TEAM[agents[0]] == 1 else best
        random = self.rng.integers(len(MOVES), size=best.shape)
        return np.where(self.rng.random(best.shape) < self.noise, random, best)
