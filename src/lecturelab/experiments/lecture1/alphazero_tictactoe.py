"""l1.alphazero_tictactoe - self-play alone trains a perfect tic-tac-toe player (lecture 1).

Follows Silver et al. 2017 (AlphaGo Zero), Methods (PUCT search, self-play targets) and
Silver et al. 2018 (AlphaZero: one network updated continually, no gating). The oracle is
exact minimax; it plays a uniformly random optimal move. Beyond the 200 sampled games, every
line the perfect player could choose is walked, counting positions where the agent's move
loses value (an exhaustive check that the sampled games only estimate). The 2-minute budget is
checked on the CPU seconds of the training process on one thread: what an idle 2-core machine
shows as wall time, and unlike wall time not stretched by other work on a busy machine.
"""

from dataclasses import dataclass, field

import numpy as np
from matplotlib.figure import Figure

from lecturelab.games.agent import Agent
from lecturelab.games.alphazero import AlphaZeroConfig, shared_training_run, training_config
from lecturelab.games.arena import play_games
from lecturelab.games.tictactoe import PerfectPlayer, TicTacToe, suboptimal_positions
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.runtime import cpu_threads


@dataclass(frozen=True)
class TicTacToeConfig:
    training: AlphaZeroConfig = field(default_factory=lambda: training_config("tictactoe"))
    simulations: int = 64        # the agent's MCTS simulations per move (the claim: <= 64)
    games_per_side: int = 100    # games against the perfect player as first, and as second
    time_limit_s: float = 120.0  # the claim's training budget on 2 cores, as CPU seconds


@experiment(
    "l1.alphazero_tictactoe", lecture=1, shares=("alphazero",),
    claim="A policy and value network trained by self-play alone plays tic-tac-toe perfectly.",
    criterion="trained from scratch by self-play in at most 2 minutes on 2 cores, the agent "
              "(MCTS with at most 64 simulations a move) loses 0 of 200 games to a perfect "
              "minimax player that picks uniformly among optimal moves, 100 as first and 100 "
              "as second player",
    quick=TicTacToeConfig(),
    full=TicTacToeConfig(training=training_config("tictactoe", "full")),
    smoke=TicTacToeConfig(training=training_config("tictactoe", "smoke"), simulations=8,
                          games_per_side=2),
)
def alphazero_tictactoe(cfg: TicTacToeConfig, run: Run) -> Result:
    trained = shared_training_run(cfg.training, run.seed, str(run.device))
    run.log(f"trained {cfg.training.iterations} rounds in {trained.cpu_seconds:.1f} CPU s "
            f"({trained.seconds:.1f} s wall)")
    game = TicTacToe()
    with cpu_threads(1):
        agent = Agent(game, trained.net, num_simulations=cfg.simulations, device=run.device,
                      seed=run.seed)
        players = [agent, PerfectPlayer(rng=np.random.default_rng(run.seed))]
        n = cfg.games_per_side
        seats = np.repeat([[0, 1], [1, 0]], n, axis=0)
        results = play_games(game, players, seats, game.initial_states(2 * n))
        as_first, as_second = results[:n], -results[n:]
        mistakes = suboptimal_positions(agent)
    counts = {side: {k: int(f(r).sum()) for k, f in
                     (("wins", lambda r: r > 0), ("draws", lambda r: r == 0),
                      ("losses", lambda r: r < 0))}
              for side, r in (("first", as_first), ("second", as_second))}
    losses = counts["first"]["losses"] + counts["second"]["losses"]
    run.log(f"vs perfect player: {counts}; suboptimal positions on optimal lines: {mistakes}")
    return Result(
        metrics={"losses": losses, "games": 2 * n, "as_first": counts["first"],
                 "as_second": counts["second"], "training_seconds": trained.seconds,
                 "training_cpu_seconds": trained.cpu_seconds,
                 "suboptimal_positions": mistakes, "simulations": cfg.simulations,
                 "history": trained.history},
        checks=[
            Check.at_most("CPU seconds of self-play training (one thread)", trained.cpu_seconds,
                          cfg.time_limit_s),
            Check.equal(f"games lost to the perfect player ({n} as first, {n} as second)",
                        losses, 0, detail=f"losses {counts['first']['losses']} as first, "
                                          f"{counts['second']['losses']} as second"),
        ],
        notes=[f"the agent searches {cfg.simulations} MCTS simulations a move (the claim: at "
               "most 64)"],
        figures={"training": training_figure(trained.history, counts)},
        headline=("losses", "training_cpu_seconds", "suboptimal_positions"),
    )


def training_figure(history: list[dict], counts: dict[str, dict[str, int]]) -> Figure:
    fig = Figure(figsize=(9, 3.5))
    ax_loss, ax_games = fig.subplots(1, 2)
    rounds = [h["round"] for h in history]
    ax_loss.plot(rounds, [h["value_loss"] for h in history], label="value (z - v)^2")
    ax_loss.plot(rounds, [h["policy_loss"] for h in history], label="policy -pi log p")
    ax_loss.set(xlabel="self-play round", ylabel="training loss", title="self-play training")
    ax_loss.legend()
    sides = list(counts)
    bottom = np.zeros(len(sides))
    for outcome, colour in (("wins", "tab:green"), ("draws", "tab:gray"), ("losses", "tab:red")):
        values = np.array([counts[s][outcome] for s in sides])
        ax_games.bar(sides, values, bottom=bottom, color=colour, label=outcome)
        bottom += values
    ax_games.set(ylabel="games", title="agent vs perfect minimax player")
    ax_games.legend()
    return fig
