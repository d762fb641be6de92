"""l1.self_play_improvement - each round of self-play makes the agent stronger (lecture 1).

Every checkpoint of the tic-tac-toe AlphaZero run (Silver et al. 2018: one network updated
continually), from the random initial network to the last round, plays a round robin, each pair
from the same random 2-move openings with both colours; MCTS with few simulations keeps the
players' differences visible. Elo ratings are fitted by maximum likelihood (Bradley-Terry;
draws count half; one virtual draw per pair as in Coulom's BayesElo), the first checkpoint
anchored at 0, with standard errors from the Fisher information. "Within noise": a successive
drop smaller than two standard errors of the difference.
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from lecturelab.games.agent import Agent
from lecturelab.games.alphazero import AlphaZeroConfig, shared_training_run, training_config
from lecturelab.games.arena import elo_ratings, random_openings, round_robin
from lecturelab.games.tictactoe import TicTacToe
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.runtime import cpu_threads


@dataclass(frozen=True)
class ImprovementConfig:
    training: AlphaZeroConfig = field(default_factory=lambda: training_config("tictactoe"))
    simulations: int = 8      # MCTS simulations per move in the round robin
    openings: int = 36        # random openings per pair, each played with both colours
    opening_plies: int = 2    # random moves that make an opening
    min_gain: float = 200.0   # Elo the last checkpoint must gain over the first


@experiment(
    "l1.self_play_improvement", lecture=1, shares=("alphazero",),
    claim="Self-play improves the agent: later checkpoints are stronger.",
    criterion="Elo of successive checkpoints (every checkpoint of the run, from a round robin) "
              "is non-decreasing within noise and the last is at least 200 Elo above the first",
    quick=ImprovementConfig(),
    full=ImprovementConfig(training=training_config("tictactoe", "full"), openings=72),
    smoke=ImprovementConfig(training=training_config("tictactoe", "smoke"), simulations=2,
                            openings=2),
)
def self_play_improvement(cfg: ImprovementConfig, run: Run) -> Result:
    trained = shared_training_run(cfg.training, run.seed, str(run.device))
    game, rounds = TicTacToe(), list(range(cfg.training.iterations + 1))
    with cpu_threads(1):
        players = [Agent(game, trained.network(r), num_simulations=cfg.simulations,
                         device=run.device, seed=run.seed + i) for i, r in enumerate(rounds)]
        starts = random_openings(game, cfg.openings, plies=cfg.opening_plies,
                                 rng=np.random.default_rng(run.seed))
        points = round_robin(game, players, starts)
    elo, cov = elo_ratings(points)
    stderr = np.sqrt(np.diag(cov))
    steps = np.diff(elo)
    step_se = np.sqrt([cov[i, i] + cov[i + 1, i + 1] - 2 * cov[i, i + 1]
                       for i in range(len(elo) - 1)])
    drops = [f"{a}->{b}: {d:+.0f} (2se {2 * s:.0f})" for a, b, d, s in
             zip(rounds, rounds[1:], steps, step_se, strict=False) if d < -2 * s]
    run.log("Elo by round: " + ", ".join(f"{r}: {e:.0f}" for r, e in zip(rounds, elo,
                                                                          strict=True)))
    return Result(
        metrics={"rounds": list(rounds), "elo": elo.tolist(), "elo_stderr": stderr.tolist(),
                 "gain_last_over_first": float(elo[-1] - elo[0]), "points": points.tolist(),
                 "games_per_pair": 2 * cfg.openings},
        checks=[Check.holds("Elo non-decreasing within noise (no drop beyond 2 standard errors)",
                            not drops, detail="; ".join(drops) or "steps " + ", ".join(
                                f"{d:+.0f}" for d in steps)),
                Check.at_least("Elo of the last checkpoint above the first", elo[-1] - elo[0],
                               cfg.min_gain, detail=f"se {stderr[-1]:.0f}")],
        figures={"elo": elo_figure(rounds, elo, stderr)},
        notes=[f"{len(rounds)} checkpoints (rounds 0..{rounds[-1]}; 0 is the random initial "
               f"network), {2 * cfg.openings} games per pair"],
        headline=("gain_last_over_first", "elo"),
    )


def elo_figure(rounds: list[int], elo: np.ndarray, stderr: np.ndarray) -> Figure:
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    ax.errorbar(rounds, elo, yerr=2 * stderr, marker="o", capsize=3)
    ax.set(xlabel="self-play round of the checkpoint", ylabel="Elo (round 0 = 0), +-2 se",
           title="tic-tac-toe: Elo of successive checkpoints")
    return fig
