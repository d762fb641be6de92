"""l2.universal_approximation - the constructive proof: bumps of steep sigmoid pairs (lecture 2).

Nielsen (2015), chapter 4 (the visual proof of Cybenko 1989, Theorem 2): no training, the
weights are written down. 3 bumps from 6 neurons reproduce a 3-step target; k bumps of height
sin(2 pi x_mid) approximate sin(2 pi x) with sup error ~ pi / k (the largest change of f over
half a bump). "Away from the steps" means at least `margin` from every jump of the step target,
the domain ends included. Errors are sup norms on a fine grid of [0, 1].
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturelab.foundations.approximators import BumpNetwork, bump, bumps_for
from lecturelab.lab import Check, Result, Run, experiment


@dataclass(frozen=True)
class ApproximationConfig:
    steps: tuple[float, ...] = (0.6, -0.3, 0.9)  # heights of the step target on thirds of [0,1]
    step_steepness: float = 1000.0  # sigmoid weight for the step target's bumps
    margin: float = 0.01  # distance from a jump inside which the step error is not judged
    ks: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 128, 256)  # bump counts for sin(2 pi x)
    sine_steepness: float = 1e4  # sigmoid weight for the sine's bumps (edges ~4e-4 wide)
    grid: int = 20001  # evaluation points on [0, 1]


@experiment(
    "l2.universal_approximation", lecture=2,
    claim="Constructive universal approximation: three bumps by six neurons.",
    criterion="a hand-built network (no training) of steep sigmoid pairs, 2 neurons a bump: 3 "
              "bumps from 6 neurons match a 3-step target with max error at most 0.01 away from "
              "the steps; for sin(2 pi x) on [0,1], sup error with k bumps at k=64 is at most 0.1 "
              "and error(8)/error(64) is at least 4",
    quick=ApproximationConfig(),
    full=ApproximationConfig(ks=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), sine_steepness=1e5,
                             grid=200001),
    smoke=ApproximationConfig(ks=(8, 64), grid=2001),
)
def universal_approximation(cfg: ApproximationConfig, run: Run) -> Result:
    x = torch.linspace(0, 1, cfg.grid, dtype=torch.float64)
    heights = torch.tensor(cfg.steps, dtype=torch.float64)
    n_steps = len(cfg.steps)

    def step_target(t: torch.Tensor) -> torch.Tensor:
        return heights[(t * n_steps).long().clamp(0, n_steps - 1)]

    step_net = bumps_for(step_target, n_steps, steepness=cfg.step_steepness)
    jumps = torch.linspace(0, 1, n_steps + 1, dtype=torch.float64)
    away = (x[:, None] - jumps).abs().min(dim=1).values >= cfg.margin
    step_error = (step_net(x) - step_target(x))[away].abs().max().item()

    nets = {k: bumps_for(sine, k, steepness=cfg.sine_steepness) for k in cfg.ks}
    errors = {k: (net(x) - sine(x)).abs().max().item() for k, net in nets.items()}
    slope = float(np.polyfit(np.log(list(errors)), np.log(list(errors.values())), 1)[0])
    e8, e64 = errors.get(8, math.nan), errors.get(64, math.nan)
    listed = ", ".join(f"k={k}: {e:.4f}" for k, e in errors.items())
    run.log(f"sup error of sin(2 pi x) by k bumps: {listed}; log-log slope {slope:.2f}")

    return Result(
        metrics={"step_max_error": step_error, "sine_sup_error": {str(k): e for k, e in
                                                                  errors.items()},
                 "sine_error_64": e64, "error_ratio_8_64": e8 / e64, "loglog_slope": slope},
        checks=[
            Check.at_most(f"3 bumps (6 neurons) vs the 3-step target: max error {cfg.margin} "
                          "away from the steps", step_error, 0.01),
            Check.at_most("sin(2 pi x) with 64 bumps: sup error", e64, 0.1),
            Check.at_least("error(8) / error(64)", e8 / e64, 4,
                           detail=f"{e8:.4f} / {e64:.4f}"),
        ],
        figures={"bumps": bumps_figure(x, step_net, nets, errors, step_error, slope, cfg)},
        headline=("step_max_error", "sine_error_64", "error_ratio_8_64"),
    )


def sine(x: torch.Tensor) -> torch.Tensor:
    return torch.sin(2 * math.pi * x)


def bumps_figure(x: torch.Tensor, step_net: BumpNetwork, nets: dict[int, BumpNetwork],
                 errors: dict[int, float], step_error: float, slope: float,
                 cfg: ApproximationConfig) -> Figure:
    """The 3-step target's bumps and network; sin(2 pi x) from 8 and 64 bumps; sup error vs k."""
    fig = Figure(figsize=(13, 3.8), layout="constrained")
    ax_step, ax_sine, ax_err = fig.subplots(1, 3)
    edges = torch.linspace(0, 1, len(cfg.steps) + 1, dtype=torch.float64).tolist()
    for i in range(len(cfg.steps)):
        part = bump(x, edges[i], edges[i + 1], cfg.steps[i], steepness=cfg.step_steepness)
        ax_step.fill_between(x, part, alpha=0.3, label=f"bump {i + 1} (2 neurons)")
    ax_step.plot(x, step_net(x).detach(), "k", lw=1.5, label="network (6 neurons)")
    ax_step.set(title=f"3-step target, max error {step_error:.1e} away from steps", xlabel="x")
    ax_step.legend(fontsize=7)
    ax_sine.plot(x, sine(x), "k", lw=2, label="sin(2 pi x)")
    for k in (8, 64):
        if k in nets:
            ax_sine.plot(x, nets[k](x).detach(), lw=1, label=f"{k} bumps ({2 * k} neurons)")
    ax_sine.set(title="sin(2 pi x) from bumps", xlabel="x")
    ax_sine.legend(fontsize=7)
    ax_err.loglog(list(errors), list(errors.values()), "o-", label=f"measured (slope {slope:.2f})")
    ax_err.loglog(list(errors), [math.pi / k for k in errors], "k:", label="pi / k")
    ax_err.set(title="sup error vs bumps", xlabel="k bumps")
    ax_err.legend(fontsize=7)
    return fig
