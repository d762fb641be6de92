"""Playing capture-the-flag matches between teams, counting wins / draws / losses, and Elo.

Elo (Elo 1978; FTW's matchmaking and fitness, Jaderberg et al. 2019): the expected score of a
against b is 1 / (1 + 10^((R_b - R_a) / 400)); after a match each rating moves by k times
(actual mean score - expected).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lecturelab.ctf.baselines import Team
from lecturelab.ctf.game import CaptureTheFlag, GameState


@dataclass(frozen=True)
class Record:
    """Wins, draws and losses from one side's point of view."""

    wins: int
    draws: int
    losses: int

    @classmethod
    def of(cls, outcome: np.ndarray) -> Record:
        """From outcomes (+1 win, 0 draw, -1 loss)."""
        return cls(int((outcome > 0).sum()), int((outcome == 0).sum()), int((outcome < 0).sum()))

    def __add__(self, other: Record) -> Record:
        return Record(self.wins + other.wins, self.draws + other.draws,
                      self.losses + other.losses)

    @property
    def games(self) -> int:
        return self.wins + self.draws + self.losses

    @property
    def decided_win_rate(self) -> float:
        """Wins / (wins + losses); NaN when every game was drawn."""
        decided = self.wins + self.losses
        return self.wins / decided if decided else float("nan")


def play_games(game: CaptureTheFlag, team0: Team, team1: Team, map_id: np.ndarray,
               seeds: np.ndarray, *, record: bool = False
               ) -> tuple[np.ndarray, list[GameState]]:
    """Play games to the time limit; returns outcomes (G,) from team 0's side and, with
    `record`, every state from the start to the end."""
    state = game.reset(map_id, seeds)
    states = [state]
    while not game.done(state):
        obs = game.observe(state)
        actions = np.concatenate([team0.act(game, state, 0, obs),
                                  team1.act(game, state, 1, obs)], 1)
        state, _ = game.step(state, actions)
        if record:
            states.append(state)
    return game.outcome(state), states if record else [state]


def head_to_head(game: CaptureTheFlag, a: Team, b: Team, games: int, *, seed: int) -> Record:
    """`a` against `b` over `games` games on the game's maps in turn, half with `a` as team 0
    and half as team 1 (same maps and seeds), from `a`'s side."""
    half = max(1, games // 2)
    map_id = np.arange(half) % len(game.pool)
    seeds = np.arange(half, dtype=np.uint64) + np.uint64(seed) * np.uint64(1_000_003)
    first, _ = play_games(game, a, b, map_id, seeds)
    second, _ = play_games(game, b, a, map_id, seeds)
    return Record.of(first) + Record.of(-second)


def expected_score(r_a: float, r_b: float) -> float:
    """Elo's expected score of a against b."""
    return 1.0 / (1.0 + 10.0 ** ((r_b - r_a) / 400.0))


def elo_update(r_a: float, r_b: float, outcome: np.ndarray, *, k: float = 32.0
               ) -> tuple[float, float]:
    """New ratings after a match of outcomes (+1 / 0 / -1 from a's side), scored as their mean
    (win 1, draw 0.5, loss 0)."""
    delta = k * (float(np.mean((outcome + 1) / 2)) - expected_score(r_a, r_b))
    return r_a + delta, r_b - delta
