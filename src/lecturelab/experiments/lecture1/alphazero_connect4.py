"""l1.alphazero_connect4 - a self-play agent keeps connect four's solved value (lecture 1).

Follows Silver et al. 2017/2018 (AlphaGo Zero / AlphaZero) for the agent; positions come from
uniformly random play and are labelled by the exact solver (negamax, alpha-beta, transposition
table; Pons 2019), which gives each position's value and the moves that keep it. The baseline
is pure MCTS: the same PUCT search with uniform priors and random-rollout values.
Departures, for a Python solver: positions have 16-36 stones in quick (12-36 in full), both
"at least 8 moves in"; positions whose labels need more than `node_limit` solver nodes are
replaced by new samples (the count is reported). Labels are cached on disk like datasets.
Allis (1988) solved the empty board: the first player wins by opening in the centre column.
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from lecturelab.data.cache import cached_arrays
from lecturelab.games.agent import Agent
from lecturelab.games.alphazero import AlphaZeroConfig, shared_training_run, training_config
from lecturelab.games.arena import RandomPlayer
from lecturelab.games.connect4 import Connect4
from lecturelab.games.connect4_solver import Connect4Solver, NodeLimitExceeded
from lecturelab.games.mcts import MCTSPlayer, RolloutEvaluator
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.runtime import cpu_threads

CENTRE = 3


@dataclass(frozen=True)
class Connect4Config:
    training: AlphaZeroConfig = field(default_factory=lambda: training_config("connect4"))
    positions: int = 200                # positions sampled from random play
    min_stones: int = 16                # stones on the board, at least (the claim: >= 8)
    max_stones: int = 36                # stones on the board, at most
    node_limit: int | None = 30_000     # solver nodes one label may take; harder: resampled
    simulations: tuple[int, ...] = (16, 64)  # searches compared, same count for both players
    keep_target: float | None = None    # full: the agent must keep the value this often


@experiment(
    "l1.alphazero_connect4", lecture=1,
    claim="AlphaZero at scale: the self-play agent plays connect four soundly and rediscovers "
          "known play (the centre opening).",
    criterion="*full*: on 1000 positions sampled from random play (at least 8 moves in) and "
              "labelled by an exact solver, the agent's move keeps the game-theoretic value on "
              "at least 90%, and the agent opens in the centre column, the solved best first "
              "move (rediscovering known play); quick: the same measurement on 200 positions, "
              "verdict on \"the trained agent keeps the value more often than pure-rollout "
              "MCTS with the same number of simulations\"",
    quick=Connect4Config(),
    full=Connect4Config(training=training_config("connect4", "full"), positions=1000,
                        min_stones=12, node_limit=5_000_000, simulations=(100, 400),
                        keep_target=0.9),
    smoke=Connect4Config(training=training_config("connect4", "smoke"), positions=6,
                         min_stones=30, simulations=(8,)),
)
def alphazero_connect4(cfg: Connect4Config, run: Run) -> Result:
    labels = labelled_positions(cfg, seed=run.seed)
    states, keeps = labels["states"], labels["keeps"]
    run.log(f"{len(states)} positions labelled ({int(labels['skipped'])} over the node limit "
            f"resampled); values {np.bincount(labels['values'] + 1, minlength=3)} (L/D/W)")
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
                 "random_move_keeps": random_mover, "opening_column": opening + 1,
                 "positions": len(states), "resampled_over_node_limit": int(labels["skipped"]),
                 "training_seconds": trained.seconds,
                 "agent_keeps_at_max": kept["agent"][best],
                 "rollout_keeps_at_max": kept["rollout"][best]},
        checks=checks,
        figures={"keeps_value": keeps_figure(kept, random_mover)},
        headline=("agent_keeps_at_max", "rollout_keeps_at_max", "opening_column"),
    )


def labelled_positions(cfg: Connect4Config, *, seed: int) -> dict[str, np.ndarray]:
    """Random-play positions with their solved values and value-keeping moves (cached)."""
    name = (f"connect4-labels-n{cfg.positions}-s{cfg.min_stones}-{cfg.max_stones}"
            f"-limit{cfg.node_limit}-seed{seed}")
    return cached_arrays(name, lambda: label_positions(cfg, seed=seed))


def label_positions(cfg: Connect4Config, *, seed: int) -> dict[str, np.ndarray]:
    game, rng = Connect4(), np.random.default_rng([seed, 4])
    solver = Connect4Solver(node_limit=cfg.node_limit)
    states, values, keeps, skipped = [], [], [], 0
    while len(states) < cfg.positions:
        state = random_play(game, int(rng.integers(cfg.min_stones, cfg.max_stones + 1)), rng)
        if state is None:
            continue
        try:
            value, keep = solver.keeping_moves(state)
        except NodeLimitExceeded:
            skipped += 1
            continue
        states.append(state), values.append(value), keeps.append(keep)
    return {"states": np.stack(states), "values": np.array(values), "keeps": np.stack(keeps),
            "skipped": np.array(skipped)}


def random_play(game: Connect4, stones: int, rng: np.random.Generator) -> np.ndarray | None:
    """The position after `stones` uniformly random moves, or None if the game ended first."""
    state = game.initial_states(1)
    player = RandomPlayer(game, rng=rng)
    for _ in range(stones):
        state = game.play(state, player.choose(state))
        if not np.isnan(game.terminal_value(state)[0]):
            return None
    return state[0]


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
