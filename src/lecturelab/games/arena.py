"""The arena: matches between players, and Elo ratings fitted to a round robin (lecture 1).

A player (`base.Player`) is anything with `choose(states) -> moves` for a batch of canonical
states: an MCTS player (network or rollouts), the perfect tic-tac-toe player, a random player.
Games of a match run in lockstep, so a batch of positions costs one search. Ratings follow Elo's
logistic model, P(i beats j) = 1 / (1 + 10^((r_j - r_i) / 400)) (the Bradley-Terry model),
fitted by maximum likelihood with draws as half a win; one virtual draw per pair keeps the
fit finite when a player wins every game (as in Coulom's BayesElo).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from scipy.optimize import minimize

from lecturelab.games.base import Game, Player

ELO = np.log(10) / 400  # rating points -> logits


class RandomPlayer:
    def __init__(self, game: Game, *, rng: np.random.Generator) -> None:
        self.game, self.rng = game, rng

    def choose(self, states: np.ndarray) -> np.ndarray:
        legal = self.game.legal_moves(states)
        return (self.rng.random(legal.shape) * legal).argmax(1)


def random_openings(game: Game, n: int, *, plies: int, rng: np.random.Generator) -> np.ndarray:
    """(n, *S) positions after `plies` uniformly random moves (none of them finished)."""
    states = game.initial_states(n)
    player = RandomPlayer(game, rng=rng)
    for _ in range(plies):
        states = game.play(states, player.choose(states))
    if not np.isnan(game.terminal_value(states)).all():
        raise ValueError(f"{plies} opening plies can end a {game.name} game")
    return states


def play_games(game: Game, players: Sequence[Player], seats: np.ndarray,
               starts: np.ndarray) -> np.ndarray:
    """Play game g between players[seats[g, 0]], to move at starts[g], and players[seats[g, 1]].

    All games run in lockstep: at each ply every player chooses for all of its games in one
    call. Returns (n,) results for the player in seat 0: +1 win, 0 draw, -1 loss.
    """
    if seats.shape != (len(starts), 2):
        raise ValueError(f"seats must have shape ({len(starts)}, 2), got {seats.shape}")
    states, playing = starts.copy(), np.arange(len(starts))
    result, ply = np.zeros(len(starts)), 0
    while playing.size:
        mover = seats[playing, ply % 2]
        moves = np.zeros(len(playing), np.int64)
        for p in np.unique(mover):
            moves[mover == p] = players[p].choose(states[mover == p])
        states = game.play(states, moves)
        ply += 1
        over = game.terminal_value(states)
        done = ~np.isnan(over)
        # `over` is for the player to move next, who is seat 0 after an even number of plies
        result[playing[done]] = over[done] * (1 if ply % 2 == 0 else -1)
        states, playing = states[~done], playing[~done]
    return result


@dataclass(frozen=True)
class MatchResult:
    wins: int
    draws: int
    losses: int

    @property
    def score(self) -> float:
        return (self.wins + 0.5 * self.draws) / (self.wins + self.draws + self.losses)


def matches(game: Game, players: Sequence[Player], pairs: Sequence[tuple[int, int]],
            starts: np.ndarray) -> dict[tuple[int, int], MatchResult]:
    """For each pair (i, j), every start position played twice, i moving first once and j
    once; all games of all pairs in lockstep. Results are for i."""
    n = len(starts)
    seats = np.concatenate([np.repeat([[i, j], [j, i]], n, axis=0) for i, j in pairs])
    results = play_games(game, players, seats, np.concatenate([starts] * 2 * len(pairs)))
    out = {}
    for k, pair in enumerate(pairs):
        r = results[2 * n * k:2 * n * (k + 1)] * np.repeat([1, -1], n)
        out[pair] = MatchResult(int((r > 0).sum()), int((r == 0).sum()), int((r < 0).sum()))
    return out


def round_robin(game: Game, players: Sequence[Player], starts: np.ndarray) -> np.ndarray:
    """(k, k) points of i against j over 2 len(starts) games per pair (draws count half)."""
    points = np.zeros((len(players), len(players)))
    for (i, j), r in matches(game, players, list(combinations(range(len(players)), 2)),
                             starts).items():
        points[i, j] = r.wins + 0.5 * r.draws
        points[j, i] = r.losses + 0.5 * r.draws
    return points


def elo_ratings(points: np.ndarray, *, prior_draws: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Maximum-likelihood Elo ratings (player 0 anchored at 0) and their covariance.

    points[i, j]: points i scored against j. Returns ratings (k,) and the (k, k) covariance from
    the inverse Fisher information (row and column 0 zero: the anchor is fixed).
    """
    k = len(points)
    if points.shape != (k, k):
        raise ValueError(f"points must be a square matrix, got {points.shape}")
    games = points + points.T
    pairs = np.triu(games > 0, 1)
    wins = points + np.where(pairs | pairs.T, prior_draws / 2, 0)
    games = wins + wins.T

    def nll(free: np.ndarray) -> tuple[float, np.ndarray]:
        r = np.concatenate([[0.0], free]) * ELO
        logit = r[:, None] - r[None, :]  # (k, k)
        p = 1 / (1 + np.exp(-logit))
        loss = -(wins * np.log(p)).sum()
        grad = -(wins - games * p).sum(1) * ELO  # d loss / d r_i, each pair counted once
        return loss, grad[1:]

    free = minimize(nll, np.zeros(k - 1), jac=True, method="L-BFGS-B").x
    ratings = np.concatenate([[0.0], free])
    p = 1 / (1 + np.exp(-(ratings[:, None] - ratings[None, :]) * ELO))
    w = games * p * (1 - p) * ELO**2  # (k, k) information of each pair
    info = np.diag(w.sum(1)) - w
    cov = np.zeros((k, k))
    cov[1:, 1:] = np.linalg.inv(info[1:, 1:])
    return ratings, cov
