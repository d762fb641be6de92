"""l1.alphazero_connect4 - a self-play agent keeps connect four's solved value (lecture 1).

Follows Silver et al. 2017/2018 (AlphaGo Zero / AlphaZero) for the agent. The positions are
the shipped set of games/connect4_positions.py: reached by uniformly random play with 8 to 36
stones ("at least 8 moves in"), labelled by an exact solver with their win/draw/loss value and
the moves that keep it. Only positions where some legal move changes the value count (where
every move keeps it, as in any lost position, the position is reported, not counted); the
first `positions` counted ones of the set are used, so every seed sees the same positions.
The baseline is pure MCTS: the same PUCT search with uniform priors and random-rollout values.
Allis (1988) solved the empty board: the first player wins by opening in the centre column.
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from lecturelab.games.agent import Agent
from lecturelab.games.alphazero import AlphaZeroConfig, shared_training_run, training_config
from lecturelab.games.arena import RandomPlayer
from lecturelab.games.connect4 import Connect4
from lecturelab.games.connect4_positions import LabelledPositions, load_labelled_positions
from lecturelab.games.mcts import MCTSPlayer, RolloutEvaluator
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.runtime import cpu_threads

CENTRE = 3


@dataclass(frozen=True)
class Connect4Config:
    training: AlphaZeroConfig = field(default_factory=lambda: training_config("connect4"))
    positions: int = 200                # counted positions (some move changes the value)
    simulations: tuple[int, ...] = (16, 64)  # searches compared, same count for both players
    keep_target: float | None = None    # full: the agent must keep the value this often


@experiment(
    "l1.alphazero_connect4", lecture=1, shares=("alphazero",),
    claim="AlphaZero at scale: the self-play agent plays connect four soundly and rediscovers "
          "known play (the centre opening).",
    criterion="*full*: on 1000 positions sampled from random play (at least 8 moves in) and "
              "labelled by an exact solver, counting only positions where at least one legal "
              "move changes the value (where every move keeps it, the position is reported, "
              "not counted), the agent's move keeps the game-theoretic value on at least 90%, "
              "and the agent opens in the centre column, the solved best first move "
              "(rediscovering known play); quick: the same measurement on 200 such positions, "
              "verdict on \"the trained agent keeps the value more often than pure-rollout "
              "MCTS with the same number of simulations\"",
    quick=Connect4Config(),
    full=Connect4Config(training=training_config("connect4", "full"), positions=1000,
                        simulations=(100, 400), keep_target=0.9),
    smoke=Connect4Config(training=training_config("connect4", "smoke"), positions=6,
                         simulations=(8,)),
)
def alphazero_connect4(cfg: Connect4Config, run: Run) -> Result:
    test, uncounted = counted_positions(cfg.positions)
    states, keeps = test.states, test.keeps
    run.log(f"{len(states)} positions counted, {uncounted} where every move keeps the value "
            f"reported, not counted; values {np.bincount(test.values + 1, minlength=3)} (L/D/W); "
            f"stones {test.stones.min()}..{test.stones.max()}")
    trained = shared_training_run(cfg.training, run.seed, str(run.device))
    game, rng = Connect4(), np.random.default_rng(run.seed)
    rows = np.arange(len(states))
    kept: dict[str, dict[int, float]] = {"agent": {}, "rollout": {}}
    with cpu_threads(1):
        for sims in cfg.simulations:
            agent = Agent(game, trained.net, num_simulations=sims, device=run.device,
                          seed=run.seed)
            rollout = MCTSPlayer(game, RolloutEvaluator(game, rng=rng), num_simulations=sims,
                                 rng=rng)
            kept["agent"][sims] = float(keeps[rows, agent.choose(states)].mean())
            kept["rollout"][sims] = float(keeps[rows, rollout.choose(states)].mean())
        best = max(cfg.simulations)
        opening = Agent(game, trained.net, num_simulations=best, device=run.device,
                        seed=run.seed).best_move(game.initial_states(1)[0])
    random_mover = float(keeps[rows, RandomPlayer(game, rng=rng).choose(states)].mean())
    random_expected = float((keeps.sum(1) / test.legal.sum(1)).mean())
    checks = [Check.above(f"fraction of positions where the agent at {s} simulations keeps the "
                          "value, against pure-rollout MCTS's", kept["agent"][s],
                          kept["rollout"][s], detail=f"{len(states)} positions")
              for s in cfg.simulations]
    if cfg.keep_target is not None:
        checks += [Check.at_least("fraction of positions where the agent keeps the value",
                                  kept["agent"][best], cfg.keep_target),
                   Check.equal("the agent's opening column (Allis 1988: the centre, 4)",
                               opening + 1, CENTRE + 1)]
    return Result(
        metrics={"agent_keeps": kept["agent"], "rollout_keeps": kept["rollout"],
                 "random_move_keeps": random_mover,
                 "random_move_keeps_expected": random_expected, "opening_column": opening + 1,
                 "positions": len(states), "uncounted_every_move_keeps": uncounted,
                 "stones_min": int(test.stones.min()), "stones_median":
                     float(np.median(test.stones)), "training_seconds": trained.seconds,
                 "agent_keeps_at_max": kept["agent"][best],
                 "rollout_keeps_at_max": kept["rollout"][best]},
        checks=checks,
        notes=[f"{uncounted} positions where every move keeps the value were met among the "
               f"first {len(states) + uncounted} of the set and not counted",
               f"a uniformly random move keeps the value on {random_expected:.3f} of the "
               "counted positions (expectation)"],
        figures={"keeps_value": keeps_figure(kept, random_mover)},
        headline=("agent_keeps_at_max", "rollout_keeps_at_max", "opening_column"),
    )


def counted_positions(n: int) -> tuple[LabelledPositions, int]:
    """The first n counted positions of the shipped set, and how many uncounted ones (every
    move keeps the value) lie among them."""
    labelled = load_labelled_positions()
    rows = np.flatnonzero(labelled.counted)
    if len(rows) < n:
        raise ValueError(f"the labelled set has {len(rows)} counted positions, {n} asked for")
    return labelled.take(rows[:n]), int(rows[n - 1] + 1 - n)


def keeps_figure(kept: dict[str, dict[int, float]], random_mover: float) -> Figure:
    fig = Figure(figsize=(5.5, 3.5))
    ax = fig.subplots()
    sims = list(kept["agent"])
    x = np.arange(len(sims))
    ax.bar(x - 0.2, [kept["rollout"][s] for s in sims], 0.4, label="pure-rollout MCTS")
    ax.bar(x + 0.2, [kept["agent"][s] for s in sims], 0.4, label="AlphaZero agent")
    ax.axhline(random_mover, color="gray", ls="--", label="random move")
    ax.set(xticks=x, xticklabels=[f"{s} simulations" for s in sims], ylim=(0, 1),
           ylabel="moves keeping the solved value", title="connect four, random-play positions")
    ax.legend(loc="lower right")
    return fig
