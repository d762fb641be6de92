"""l2.small_weights - if the weights are small, the function cannot be too complex (lecture 2).

Random tanh MLPs with weights N(0, alpha^2 / fan_in) and zero biases (the sigma_w of Poole et
al. 2016, "Exponential expressivity in deep neural networks through transient chaos"): for small
alpha every tanh stays in its linear range and the net is nearly linear; for large alpha it is
far from linear. Complexity is bounded by the weights: tanh is 1-Lipschitz, so the input
gradient of f = W_L tanh(... tanh(W_1 x)) has norm at most prod_l ||W_l||_2 (spectral norms).
Computed in float64.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.mlp import MLP


@dataclass(frozen=True)
class SmallWeightsConfig:
    alphas: tuple[float, ...] = (0.1, 0.2, 0.5, 1.0, 2.0, 4.0, 8.0)  # weight scales swept
    seeds: int = 5  # random nets per alpha; the criterion must hold for each
    dim: int = 4  # input dimension d of the cube [-1, 1]^d
    width: int = 64  # hidden units a layer
    depth: int = 4  # hidden tanh layers
    points: int = 4096  # uniform samples of the cube


@experiment(
    "l2.small_weights", lecture=2,
    claim="if weights are small, functions can not be too complex",
    criterion="for tanh MLPs with weights N(0, alpha^2/fan_in), the best linear fit on "
              "[-1,1]^d has R^2 at least 0.99 for alpha at most 0.2 and below 0.9 for alpha at "
              "least 4; the measured max input-gradient norm never exceeds the product of layer "
              "spectral norms",
    quick=SmallWeightsConfig(), full=SmallWeightsConfig(seeds=50, points=65536),
    smoke=SmallWeightsConfig(alphas=(0.2, 4.0), seeds=1, width=8, points=256))
def small_weights(cfg: SmallWeightsConfig, run: Run) -> Result:
    g = torch.Generator().manual_seed(run.seed)
    x = (2 * torch.rand(cfg.points, cfg.dim, generator=g, dtype=torch.float64) - 1).to(run.device)
    rows = {a: [measure(x, cfg, a, run.seed + i) for i in range(cfg.seeds)] for a in cfg.alphas}
    r2 = {a: [r["r2"] for r in rs] for a, rs in rows.items()}
    small = [v for a, vs in r2.items() if a <= 0.2 for v in vs]
    large = [v for a, vs in r2.items() if a >= 4 for v in vs]
    slack = [r["grad"] / r["bound"] for rs in rows.values() for r in rs]
    run.log("\n".join(f"alpha {a}: R^2 {[round(v, 4) for v in vs]}" for a, vs in r2.items()))
    return Result(
        metrics={"r2_by_alpha": {str(a): {"mean": statistics.fmean(vs), "min": min(vs),
                                          "max": max(vs)} for a, vs in r2.items()},
                 "r2_min_small_alpha": min(small, default=float("nan")),
                 "r2_max_large_alpha": max(large, default=float("nan")),
                 "grad_over_bound_max": max(slack)},
        checks=[
            Check.at_least("lowest R^2 of the best linear fit for alpha <= 0.2",
                           min(small, default=float("nan")), 0.99,
                           detail=f"over {len(small)} nets"),
            Check.below("highest R^2 for alpha >= 4", max(large, default=float("nan")), 0.9,
                        detail=f"over {len(large)} nets"),
            Check.at_most("largest ratio of max input-gradient norm to the product of spectral "
                          "norms", max(slack), 1.0, detail=f"over {len(slack)} nets"),
        ],
        figures={"r2_vs_alpha": r2_figure(r2)},
        headline=("r2_min_small_alpha", "r2_max_large_alpha", "grad_over_bound_max"),
    )


def linear_fit_r2(x: torch.Tensor, f: torch.Tensor) -> float:
    """R^2 of the least-squares affine fit of f (N,) on x (N, d)."""
    design = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype, device=x.device)], dim=1)
    coef = torch.linalg.lstsq(design.cpu(), f[:, None].cpu()).solution.to(x.device)  # (d+1, 1)
    residual = f - (design @ coef)[:, 0]
    return 1.0 - (residual.square().sum() / (f - f.mean()).square().sum()).item()


def spectral_bound(model: nn.Module) -> float:
    """prod_l ||W_l||_2 over the affine layers: a Lipschitz bound for a tanh net."""
    norms = [torch.linalg.matrix_norm(m.weight, ord=2) for m in model.modules()
             if isinstance(m, nn.Linear)]
    return torch.stack(norms).prod().item()


def max_input_gradient(model: nn.Module, x: torch.Tensor) -> float:
    x = x.clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x).sum(), x)  # (N, d): row i is df(x_i)/dx_i
    return grad.norm(dim=1).max().item()


def measure(x: torch.Tensor, cfg: SmallWeightsConfig, alpha: float, seed: int) -> dict:
    torch.manual_seed(seed)
    model = MLP(cfg.dim, 1, width=cfg.width, depth=cfg.depth, activation="tanh",
                init="scaled", alpha=alpha).to(device=x.device, dtype=torch.float64)
    with torch.no_grad():
        f = model(x)[:, 0]
    return {"r2": linear_fit_r2(x, f), "grad": max_input_gradient(model, x),
            "bound": spectral_bound(model)}


def r2_figure(r2: dict[float, list[float]]) -> Figure:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for a, vs in r2.items():
        ax.scatter([a] * len(vs), vs, color="C0", s=18)
    ax.plot(list(r2), [statistics.fmean(vs) for vs in r2.values()], "C0-", label="mean")
    ax.axhline(0.99, color="0.5", ls="--", lw=1)
    ax.axhline(0.9, color="0.5", ls=":", lw=1)
    ax.set(xscale="log", xlabel="alpha (weights N(0, alpha^2/fan_in))",
           ylabel="R^2 of the best linear fit", title="small weights, nearly linear functions")
    ax.legend()
    return fig
