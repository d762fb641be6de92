"""l1.search_per_decision - strength grows with search per move (lecture 1).

The lecture's slide compares how much search a chess engine, AlphaZero and a human spend per
decision. Here the trained connect-four agent (Silver et al. 2017 PUCT search with the
policy-value net) and pure-rollout MCTS (uniform priors, random-playout values) each play a
fixed opponent, pure-rollout MCTS with 32 simulations, at 4 to 256 simulations per move. Each
match starts from the same random 2-move openings, each played with both colours. A step of
the agent's curve counts as a rise when it exceeds its standard error (the two points'
standard errors in quadrature; each from the spread of the per-game points). The simulations
each needs for an even score (0.5) are read off its curve, interpolating in log(simulations).
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from lecturelab.games.agent import Agent
from lecturelab.games.alphazero import AlphaZeroConfig, shared_training_run, training_config
from lecturelab.games.arena import MatchResult, matches, random_openings
from lecturelab.games.connect4 import Connect4
from lecturelab.games.mcts import MCTSPlayer, RolloutEvaluator
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.runtime import cpu_threads


@dataclass(frozen=True)
class SearchConfig:
    training: AlphaZeroConfig = field(default_factory=lambda: training_config("connect4"))
    simulations: tuple[int, ...] = (4, 16, 64, 256)  # simulations per move of the two searchers
    opponent_simulations: int = 32   # the fixed opponent: pure-rollout MCTS with this many
    openings: int = 32               # random openings, each played with both colours
    opening_plies: int = 2           # random moves that make an opening


@experiment(
    "l1.search_per_decision", lecture=1, shares=("alphazero",),
    claim="Playing strength grows with the amount of search per decision; a learned policy and "
          "value need far less search than rollouts.",
    criterion="against a fixed opponent (pure-rollout MCTS, 32 simulations), the agent's score "
              "rises monotonically with its simulations per move over {4, 16, 64, 256} "
              "(each step's rise larger than its standard error; games a point reported); the "
              "same curve for pure-rollout MCTS is drawn beside it, and the number of "
              "simulations each needs for equal score is reported",
    quick=SearchConfig(),
    full=SearchConfig(training=training_config("connect4", "full"), openings=100),
    smoke=SearchConfig(training=training_config("connect4", "smoke"), simulations=(2, 4),
                       opponent_simulations=2, openings=1),
)
def search_per_decision(cfg: SearchConfig, run: Run) -> Result:
    trained = shared_training_run(cfg.training, run.seed, str(run.device))
    game, rng = Connect4(), np.random.default_rng(run.seed)
    with cpu_threads(1):
        rollouts = RolloutEvaluator(game, rng=rng)
        opponent = MCTSPlayer(game, rollouts, num_simulations=cfg.opponent_simulations, rng=rng)
        agents = [Agent(game, trained.net, num_simulations=s, device=run.device, seed=run.seed)
                  for s in cfg.simulations]
        pure = [MCTSPlayer(game, rollouts, num_simulations=s, rng=rng) for s in cfg.simulations]
        players = [opponent, *agents, *pure]
        starts = random_openings(game, cfg.openings, plies=cfg.opening_plies, rng=rng)
        results = matches(game, players, [(k, 0) for k in range(1, len(players))], starts)
    k = len(cfg.simulations)
    records = [results[(i, 0)] for i in range(1, len(players))]
    scores = [r.score for r in records]
    stderr = [score_stderr(r) for r in records]
    agent, rollout = scores[:k], scores[k:]
    games = 2 * cfg.openings
    even = {"agent": even_score_simulations(cfg.simulations, agent),
            "rollout": even_score_simulations(cfg.simulations, rollout)}
    run.log(f"agent scores {agent}, rollout scores {rollout} over {games} games each")
    steps = list(zip(cfg.simulations, cfg.simulations[1:], strict=False))
    rises = [agent[i + 1] - agent[i] for i in range(k - 1)]
    rise_se = [float(np.hypot(stderr[i], stderr[i + 1])) for i in range(k - 1)]
    return Result(
        metrics={"simulations": list(cfg.simulations), "agent_score": agent,
                 "rollout_score": rollout, "games_per_point": games,
                 "agent_sims_for_even_score": even["agent"],
                 "rollout_sims_for_even_score": even["rollout"],
                 "agent_score_stderr": stderr[:k], "rollout_score_stderr": stderr[k:],
                 "agent_rises": rises, "agent_rise_stderr": rise_se,
                 "training_seconds": trained.seconds},
        checks=[Check.above(f"rise of the agent's score from {a} to {b} simulations, against "
                            "its standard error", rise, se,
                            detail=f"{agent[i]:.3f} -> {agent[i + 1]:.3f}, {games} games a point")
                for i, ((a, b), rise, se) in enumerate(zip(steps, rises, rise_se, strict=True))],
        notes=[f"{games} games a point (each of {cfg.openings} random openings with both "
               f"colours) against pure-rollout MCTS({cfg.opponent_simulations})",
               f"simulations for an even score (0.5): agent {fmt(even['agent'])}, "
               f"pure-rollout MCTS {fmt(even['rollout'])}"],
        figures={"strength_vs_search": strength_figure(cfg, agent, rollout, stderr)},
        headline=("agent_score", "rollout_score", "agent_sims_for_even_score"),
    )


def even_score_simulations(sims: tuple[int, ...], scores: list[float]) -> float | None:
    """Simulations where the score curve first reaches 0.5, interpolated in log(simulations);
    None if it never does in the range measured."""
    logs = np.log(sims)
    for i, s in enumerate(scores):
        if s >= 0.5:
            if i == 0:
                return float(sims[0]) if s == 0.5 else None
            t = (0.5 - scores[i - 1]) / (s - scores[i - 1])
            return float(np.exp(logs[i - 1] + t * (logs[i] - logs[i - 1])))
    return None


def fmt(sims: float | None) -> str:
    return "not within the range" if sims is None else f"{sims:.0f}"


def score_stderr(result: MatchResult) -> float:
    """The standard error of a match score, from the spread of the per-game points (1, 1/2,
    0): draws lower it below the binomial sqrt(s (1 - s) / n)."""
    n = result.wins + result.draws + result.losses
    mean_square = (result.wins + 0.25 * result.draws) / n
    return float(np.sqrt(max(mean_square - result.score ** 2, 0.0) / n))


def strength_figure(cfg: SearchConfig, agent: list[float], rollout: list[float],
                    stderr: list[float]) -> Figure:
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    k = len(agent)
    for name, scores, se in (("AlphaZero agent", agent, stderr[:k]),
                             ("pure-rollout MCTS", rollout, stderr[k:])):
        ax.errorbar(cfg.simulations, scores, yerr=se, marker="o", capsize=3, label=name)
    ax.axhline(0.5, color="gray", ls="--", lw=1)
    ax.set_xscale("log", base=2)
    ax.set(xlabel="simulations per move", ylim=(0, 1), xticks=cfg.simulations,
           xticklabels=[str(s) for s in cfg.simulations],
           ylabel=f"score vs pure MCTS({cfg.opponent_simulations})",
           title="connect four: strength against search")
    ax.legend()
    return fig
