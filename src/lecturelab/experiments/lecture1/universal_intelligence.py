"""l1.universal_intelligence - Upsilon(pi) = sum over environments of 2^-K(mu) V (lecture 1).

Legg and Hutter (2007), "Universal intelligence: a definition of machine intelligence", and the
Monte Carlo approximation of Legg and Veness (2011), "An approximation of the universal
intelligence measure" (AIQ): environments are programs of a BF-like reference machine drawn
with probability 2^-length, each run for a number of agent-environment cycles and with its
rewards negated (antithetic twin); agents are random, a frequency (bandit) agent and tabular
Q-learning, their settings fixed in `intelligence.agents` before measuring. The ordering is
judged on the 95% intervals of each Upsilon (non-overlapping, as the ledger says) and also on
paired-difference intervals over the same programs. Departures: a 9-instruction machine (AIQ
has more), a 16-cell cyclic work tape, a cut-off at the step budget, no Q(lambda) or MC-AIXI.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from lecturelab.intelligence.agents import AgentSpec
from lecturelab.intelligence.upsilon import UpsilonEstimate, estimate_upsilon
from lecturelab.lab import Check, Result, Run, experiment

AGENTS = (AgentSpec("random"), AgentSpec("frequency"), AgentSpec("q_learning"))


@dataclass(frozen=True)
class UpsilonConfig:
    programs: int = 1000  # environments sampled with probability 2^-length
    cycles: int = 1000  # agent-environment cycles per environment (and per twin)
    step_budget: int = 100  # machine steps a cycle may take before it is cut off
    max_length: int = 40  # instructions; longer draws are redrawn


@experiment(
    "l1.universal_intelligence", lecture=1,
    claim="Upsilon(pi) = sum over environments of 2^-K(mu) V",
    criterion="over environments sampled from a small reference machine and weighted by "
              "2^-(program length), the estimates order Upsilon(random) < Upsilon(frequency "
              "agent) < Upsilon(tabular Q-learning) with non-overlapping 95% intervals",
    quick=UpsilonConfig(), full=UpsilonConfig(programs=20000, cycles=10000),
    smoke=UpsilonConfig(programs=60, cycles=50))
def universal_intelligence(cfg: UpsilonConfig, run: Run) -> Result:
    est = estimate_upsilon(AGENTS, programs=cfg.programs, cycles=cfg.cycles,
                           step_budget=cfg.step_budget, seed=run.seed,
                           max_length=cfg.max_length)
    r, f, q = (est.upsilon(a.name) for a in AGENTS)
    fr, qf = est.difference("frequency", "random"), est.difference("q_learning", "frequency")
    run.log(f"Upsilon random {r.mean:.4f} [{r.low:.4f}, {r.high:.4f}], frequency {f.mean:.4f} "
            f"[{f.low:.4f}, {f.high:.4f}], Q {q.mean:.4f} [{q.low:.4f}, {q.high:.4f}]")
    lengths = np.array([len(p) for p in est.programs])
    return Result(
        metrics={"upsilon_random": r.mean, "upsilon_random_ci": [r.low, r.high],
                 "upsilon_frequency": f.mean, "upsilon_frequency_ci": [f.low, f.high],
                 "upsilon_q_learning": q.mean, "upsilon_q_learning_ci": [q.low, q.high],
                 "frequency_minus_random": fr.mean, "frequency_minus_random_ci": [fr.low, fr.high],
                 "q_minus_frequency": qf.mean, "q_minus_frequency_ci": [qf.low, qf.high],
                 "simulated_programs": int(est.simulated.sum()),
                 "cut_off_programs": int(est.cut_off.sum()),
                 "mean_program_length": float(lengths.mean())},
        checks=[
            Check.below("Upsilon(random)'s upper 95% bound minus Upsilon(frequency)'s lower",
                        r.high - f.low, 0.0),
            Check.below("Upsilon(frequency)'s upper 95% bound minus Upsilon(Q-learning)'s "
                        "lower", f.high - q.low, 0.0),
            Check.above("paired Upsilon(frequency) - Upsilon(random): lower 95% bound",
                        fr.low, 0.0, detail=f"mean {fr.mean:.4f}"),
            Check.above("paired Upsilon(Q-learning) - Upsilon(frequency): lower 95% bound",
                        qf.low, 0.0, detail=f"mean {qf.mean:.4f}"),
        ],
        notes=[f"{cfg.programs} programs, {int(est.simulated.sum())} simulated (the rest never "
               "write output or never read an action: score 0 for every agent, counted "
               f"unsimulated); {int(est.cut_off.sum())} hit the {cfg.step_budget}-step budget "
               f"in some cycle; {cfg.cycles} cycles per environment and per twin",
               "agent settings fixed before measuring: epsilon 0.05 for both learners; "
               "Q-learning alpha 0.5, gamma 0.5, state = last observation"],
        figures={"upsilon_per_agent": agents_figure(est),
                 "upsilon_by_length": length_figure(est, lengths)},
        headline=("upsilon_random", "upsilon_frequency", "upsilon_q_learning"),
    )


def agents_figure(est: UpsilonEstimate) -> Figure:
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax, ax_d = fig.subplots(1, 2)
    names = [a.name for a in AGENTS]
    ivs = [est.upsilon(n) for n in names]
    ax.errorbar(range(3), [i.mean for i in ivs], fmt="o", capsize=6,
                yerr=[[i.mean - i.low for i in ivs], [i.high - i.mean for i in ivs]])
    ax.set_xticks(range(3), names)
    ax.set(ylabel="Upsilon (95% interval)", title="Upsilon per agent")
    diffs = [est.difference("frequency", "random"), est.difference("q_learning", "frequency")]
    ax_d.errorbar(range(2), [d.mean for d in diffs], fmt="o", capsize=6, color="tab:red",
                  yerr=[[d.mean - d.low for d in diffs], [d.high - d.mean for d in diffs]])
    ax_d.axhline(0, color="k", lw=0.8)
    ax_d.set_xticks(range(2), ["frequency - random", "Q - frequency"])
    ax_d.set(title="paired differences (95% interval)")
    return fig


def length_figure(est: UpsilonEstimate, lengths: np.ndarray) -> Figure:
    """Mean score per program length (instructions), and each length's share of Upsilon."""
    fig = Figure(figsize=(9, 3.6), layout="constrained")
    ax, ax_w = fig.subplots(1, 2)
    values = np.unique(lengths)
    for a in AGENTS:
        s = est.scores[a.name]
        ax.plot(values, [s[lengths == v].mean() for v in values], "o-", label=a.name)
        ax_w.plot(values, [s[lengths == v].sum() / len(s) for v in values], "o-", label=a.name)
    ax.set(xlabel="program length (instructions)", ylabel="mean score V",
           title="value against program length")
    ax_w.set(xlabel="program length (instructions)", ylabel="contribution to Upsilon",
             title="2^-length-weighted share")
    ax.legend()
    return fig
