"""l1.capture_the_flag - capture the flag: a population of agents, each trained individually
by reinforcement learning in self-play on procedurally generated maps (lecture 1).

Jaderberg et al. (2019), "Human-level performance in 3D multiplayer games with population-based
reinforcement learning" (FTW): procedurally generated maps, a population trained in self-play
with Elo matchmaking, internal rewards (a learned weighting of game events) evolved by PBT
together with the learning rate. Departures: a 7x7 grid game after a CPU pilot (random teams
almost never score, so a dense "closer to the target" event is added, tagging is weak and
respawn random in the own half); a feed-forward conv policy trained by PPO, not a recurrent
two-timescale agent; one policy plays both agents of a team. Test maps are reserved by a hash
of the map (ctf/maps.py) and never trained on. The best member is chosen by its record against
a random team on training maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lecturelab.ctf.agents import PolicyTeam, save_policy
from lecturelab.ctf.baselines import RandomTeam
from lecturelab.ctf.game import EVENTS, CaptureTheFlag, GameConfig, GameState, MapPool
from lecturelab.ctf.league import HAND_SET, HAND_SET_LR, LeagueConfig, LeagueTask
from lecturelab.ctf.maps import map_hash, maps_for
from lecturelab.ctf.match import Record, head_to_head, play_games
from lecturelab.ctf.ppo import PPOConfig
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.population.pbt import Member, PBTConfig, train_population
from lecturelab.runtime import cpu_threads


@dataclass(frozen=True)
class CaptureConfig:
    seeds: int = 1  # independent pairs of populations (PBT and fixed), seed run.seed + i
    members: int = 4  # agents in each population
    steps: int = 36  # PPO updates each member trains
    interval: int = 9  # updates between PBT `ready` decisions
    games: int = 64  # self-play games per PPO update
    train_maps: int = 200  # maps trained on (hash split "train")
    test_maps: int = 100  # maps held out (hash split "test")
    select_games: int = 100  # games against a random team on training maps to choose the best
    eval_games: int = 200  # games of the chosen best against a random team on test maps
    pair_games: int = 16  # head-to-head games per (PBT member, fixed member) pair, on test maps
    time_limit: int = 40  # steps in a game
    size: int = 7  # map side
    full_criteria: bool = False  # full: also check the 5-seed PBT-vs-fixed criteria


QUICK = CaptureConfig(games=48)  # 48 games an update: 29% less CPU than 64, verdict kept
FULL = CaptureConfig(seeds=5, members=8, steps=200, interval=20, full_criteria=True)
SMOKE = CaptureConfig(members=2, steps=2, interval=1, games=4, train_maps=8, test_maps=4,
                      select_games=8, eval_games=8, pair_games=2, time_limit=8)


@experiment(
    "l1.capture_the_flag", lecture=1,
    claim="capture the flag: multi-agent play, procedurally generated environments, a population "
          "of agents each trained individually",
    criterion="on a small 2-vs-2 capture-the-flag grid game with procedurally generated maps "
              "(test maps reserved by a hash of the map, never trained on), a population of at "
              "least 4 agents trained by reinforcement learning in self-play: its best member "
              "(chosen on training maps) wins at least 30% of 200 games against a random team "
              "on test maps and loses at most 5%; a population whose internal reward weights "
              "and learning rates evolve by PBT and one of equal compute with fixed hand-set "
              "internal rewards are both trained, and the PBT population's head-to-head record "
              "against it (wins, draws, losses) is reported; *full*: over 5 seeds, the PBT "
              "population wins at least 60% of decided games against the fixed-reward "
              "population, and both win at least 95% of decided games against a random team",
    quick=QUICK, full=FULL, smoke=SMOKE)
def capture_the_flag(cfg: CaptureConfig, run: Run) -> Result:
    with cpu_threads(1):
        seeds = [league_pair(cfg, run.seed + i, run) for i in range(cfg.seeds)]
    pbt = sum((s["pbt_test"] for s in seeds), Record(0, 0, 0))
    fixed = sum((s["fixed_test"] for s in seeds), Record(0, 0, 0))
    h2h = sum((s["h2h"] for s in seeds), Record(0, 0, 0))
    overlap = sum(s["overlap"] for s in seeds)
    checks = [
        Check.equal("test maps that are also training maps (by hash)", overlap, 0),
        Check.at_least("PBT best member: share of games won against a random team on test "
                       "maps", pbt.wins / pbt.games, 0.30, detail=record_text(pbt)),
        Check.at_most("PBT best member: share of games lost against a random team on test maps",
                      pbt.losses / pbt.games, 0.05, detail=record_text(pbt)),
    ]
    if cfg.full_criteria:
        checks += [
            Check.at_least("PBT population's share of decided games won against the fixed-"
                           "reward population", h2h.decided_win_rate, 0.60,
                           detail=record_text(h2h)),
            Check.at_least("PBT best member: share of decided games won against a random team",
                           pbt.decided_win_rate, 0.95),
            Check.at_least("fixed best member: share of decided games won against a random "
                           "team", fixed.decided_win_rate, 0.95),
        ]
    run.log(f"PBT vs fixed head to head (test maps): {record_text(h2h)}")
    best = seeds[0]["pbt_best"]
    save_policy(run.out_dir / "pbt_best", best.state.policy,
                meta={"hyperparams": best.hyperparams, "seed": run.seed})
    return Result(
        metrics={**record_metrics("pbt_vs_random", pbt), **record_metrics("fixed_vs_random",
                                                                          fixed),
                 **record_metrics("pbt_vs_fixed", h2h),
                 "pbt_vs_fixed_decided_win_rate": h2h.decided_win_rate,
                 "pbt_final_lr": seeds[0]["pbt"][0].hyperparams["lr"]},
        checks=checks,
        figures={"training_curves": training_figure(seeds[0]),
                 "evolved_internal_rewards": reward_figure(seeds[0]["pbt"]),
                 "replay_pbt_vs_random": replay_figure(seeds[0])},
        headline=("pbt_vs_random_win_rate", "pbt_vs_random_loss_rate", "pbt_vs_fixed_wins",
                  "pbt_vs_fixed_draws", "pbt_vs_fixed_losses"),
        notes=[f"{cfg.seeds} seed(s); populations of {cfg.members} agents, {cfg.steps} PPO "
               f"updates of {cfg.games} self-play games each per agent, both arms; {cfg.size}x"
               f"{cfg.size} maps, {cfg.time_limit} steps a game; {cfg.train_maps} training and "
               f"{cfg.test_maps} test maps; fixed rewards {HAND_SET}, lr {HAND_SET_LR}",
               f"PBT vs fixed head to head on test maps (the quick criterion reports it): "
               f"{record_text(h2h)}; fixed best vs random: {record_text(fixed)}",
               "the PBT best policy is saved in pbt_best/: lecturelab play ctf --checkpoint "
               "<run folder>/l1.capture_the_flag/pbt_best"],
    )


def league_pair(cfg: CaptureConfig, seed: int, run: Run) -> dict:
    """Train a PBT and a fixed-reward population on training maps; test both on test maps."""
    game_cfg = GameConfig(time_limit=cfg.time_limit)
    train_maps = maps_for("train", cfg.train_maps, seed=seed, size=cfg.size)
    test_maps = maps_for("test", cfg.test_maps, seed=seed, size=cfg.size)
    train = CaptureTheFlag(MapPool.from_maps(train_maps), game_cfg)
    test = CaptureTheFlag(MapPool.from_maps(test_maps), game_cfg)
    league = LeagueConfig(ppo=PPOConfig(games=cfg.games), eval_games=min(64, cfg.eval_games))
    out: dict = {"overlap": len({map_hash(m) for m in train_maps}
                                & {map_hash(m) for m in test_maps}), "test": test}
    for arm, evolve in (("pbt", True), ("fixed", False)):
        task = LeagueTask(train, league, seed=seed)
        population = train_population(task.population(cfg.members, evolve=evolve), task,
                                      PBTConfig(interval=cfg.interval, exploit=evolve,
                                                explore=evolve), steps=cfg.steps, seed=seed)
        on_train = [task.against_random(m, cfg.select_games, seed=seed).wins
                    for m in population]
        best = population[int(np.argmax(on_train))]
        out[arm], out[f"{arm}_log"], out[f"{arm}_best"] = population, task.log, best
        out[f"{arm}_test"] = task.against_random(best, cfg.eval_games, seed=seed + 1, game=test)
        run.log(f"seed {seed} {arm}: best member {best.id} vs random on test maps "
                f"{record_text(out[f'{arm}_test'])}; hyperparameters {best.hyperparams}")
    out["h2h"] = sum((head_to_head(test, PolicyTeam(a.state.policy, seed=seed),
                                   PolicyTeam(b.state.policy, seed=seed + 1), cfg.pair_games,
                                   seed=seed + 2)
                      for a in out["pbt"] for b in out["fixed"]), Record(0, 0, 0))
    return out


def record_text(r: Record) -> str:
    return f"{r.wins} wins, {r.draws} draws, {r.losses} losses of {r.games}"


def record_metrics(prefix: str, r: Record) -> dict[str, float]:
    return {f"{prefix}_wins": r.wins, f"{prefix}_draws": r.draws, f"{prefix}_losses": r.losses,
            f"{prefix}_win_rate": r.wins / r.games, f"{prefix}_loss_rate": r.losses / r.games}


def training_figure(pair: dict) -> Figure:
    """Win rate against a random team (training maps) and Elo over training, per member."""
    fig = Figure(figsize=(10, 6.4))
    axes = fig.subplots(2, 2, sharex=True)
    for col, arm in enumerate(("pbt", "fixed")):
        for member in {row["member"] for row in pair[f"{arm}_log"]}:
            rows = [r for r in pair[f"{arm}_log"] if r["member"] == member]
            steps = [r["step"] for r in rows]
            axes[0, col].plot(steps, [r["win_rate"] for r in rows], label=f"agent {member}")
            axes[1, col].plot(steps, [r["elo"] for r in rows])
        axes[0, col].set(title=f"{arm} population", ylabel="win rate vs random", ylim=(0, 1))
        axes[1, col].set(xlabel="PPO updates", ylabel="Elo (within the population)")
    axes[0, 0].legend(fontsize=7)
    return fig


def reward_figure(population: list[Member]) -> Figure:
    """Each PBT agent's evolved internal-reward weights (and lr) relative to the hand-set ones."""
    names = [*EVENTS, "lr"]
    hand = {**HAND_SET, "lr": HAND_SET_LR}
    fig = Figure(figsize=(9, 3.6))
    ax = fig.subplots()
    width = 0.8 / len(population)
    for i, m in enumerate(sorted(population, key=lambda m: m.id)):
        ratio = [m.hyperparams[k] / hand[k] for k in names]
        ax.bar(np.arange(len(names)) + i * width, ratio, width, label=f"agent {m.id}")
    ax.axhline(1.0, color="k", linewidth=0.6)
    ax.set(xticks=np.arange(len(names)) + 0.4 - width / 2, xticklabels=names, yscale="log",
           ylabel="evolved / hand-set weight")
    ax.legend(fontsize=7, ncol=2)
    return fig


def replay_figure(pair: dict, frames: int = 8) -> Figure:
    """A frame strip of one test-map game, the PBT best (team A, blue) against a random team
    (team B, red): the first of 16 games in which the PBT team captures, else the first."""
    test: CaptureTheFlag = pair["test"]
    n = 16
    outcome, states = play_games(test, PolicyTeam(pair["pbt_best"].state.policy, seed=0),
                                 RandomTeam(0), np.arange(n) % len(test.pool),
                                 np.arange(n) + 77, record=True)
    g = int(np.argmax(states[-1].score[:, 0] > 0))
    picks = np.linspace(0, len(states) - 1, frames).round().astype(int)
    fig = Figure(figsize=(1.6 * frames, 2.1))
    for ax, t in zip(fig.subplots(1, frames), picks, strict=True):
        draw_frame(ax, test, states[t], g)
    fig.suptitle("PBT best (blue, base left) vs random team (red): agents o, flags ^, bases "
                 "squares", fontsize=9)
    fig.subplots_adjust(top=0.72)
    return fig


def draw_frame(ax, game: CaptureTheFlag, state: GameState, g: int) -> None:
    m = int(state.map_id[g])
    ax.imshow(game.pool.walls[m], cmap="Greys", vmin=0, vmax=1.5)
    for t, colour in enumerate(("tab:blue", "tab:red")):
        (br, bc), (fr, fc) = game.pool.bases[m, t], state.flag[g, t]
        ax.add_patch(_square(bc, br, colour))
        for a in (2 * t, 2 * t + 1):
            r, c = state.pos[g, a]
            ax.plot(c, r, "o", color=colour, markersize=9, markeredgecolor="w")
        ax.plot(fc, fr, marker="^", color=colour, markersize=6, markeredgecolor="k")
    ax.set(title=f"t={state.t} {state.score[g, 0]}:{state.score[g, 1]}", xticks=[], yticks=[])


def _square(c: float, r: float, colour: str) -> Rectangle:
    return Rectangle((c - 0.5, r - 0.5), 1, 1, fill=False, edgecolor=colour, linewidth=2)

