"""l2.approximation_vs_representation - an MLP approximates xy; a multiplicative unit represents it.

Lecture 2: "MLPs can not represent multiplication, only approximate it; multiplicative units".
A ReLU MLP is piecewise linear, so it fits f(x, y) = xy only on the range it was trained on and
extrapolates linearly outside it. One bilinear unit, z^T W z + b (Jayakumar et al. 2020,
"Multiplicative interactions and where to find them", Sec. 2), holds xy exactly (W with 1/2 off
the diagonal), so it is right everywhere. Both are trained by gradient descent on [-1, 1]^2.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.foundations.losses import mse_loss
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.mlp import MLP


@dataclass(frozen=True)
class ApproximationConfig:
    seeds: int = 3  # MLP training seeds (the criterion must hold for each)
    train_points: int = 1024  # uniform samples of [-1, 1]^2 to train on
    test_points: int = 4096  # fresh uniform samples for each RMSE
    mlp_steps: int = 1500  # full-batch Adam steps for the MLP (cosine-decayed learning rate)
    mlp_lr: float = 1e-2  # peak Adam learning rate
    bilinear_steps: int = 500  # full-batch gradient-descent steps for the bilinear unit
    bilinear_lr: float = 0.5  # its learning rate
    far: float = 3.0  # the out-of-range box is [-far, far]^2


@experiment(
    "l2.approximation_vs_representation", lecture=2,
    claim="MLPs can not represent multiplication, only approximate it; multiplicative units",
    criterion="a ReLU MLP (2x64) trained on f(x,y)=xy over [-1,1]^2 has in-range RMSE at most "
              "0.02 and RMSE on [-3,3]^2 at least 10x larger; a model with one multiplicative "
              "(bilinear) unit reaches RMSE at most 1e-4 both in and out of range",
    quick=ApproximationConfig(), full=ApproximationConfig(seeds=10, mlp_steps=10000),
    smoke=ApproximationConfig(seeds=1, train_points=256, test_points=256, mlp_steps=20,
                              bilinear_steps=20))
def approximation_vs_representation(cfg: ApproximationConfig, run: Run) -> Result:
    g = torch.Generator().manual_seed(run.seed)
    z_train = uniform_box(cfg.train_points, 1.0, g).to(run.device)
    z_in = uniform_box(cfg.test_points, 1.0, g).to(run.device)
    z_out = uniform_box(cfg.test_points, cfg.far, g).to(run.device)
    mlps = [train_mlp(z_train, cfg, run.seed + i) for i in range(cfg.seeds)]
    mlp_in = [rmse(m, z_in) for m in mlps]
    mlp_out = [rmse(m, z_out) for m in mlps]
    ratios = [o / i for i, o in zip(mlp_in, mlp_out, strict=True)]
    bilinear = train_bilinear(z_train, cfg, run.seed)
    bil_in, bil_out = rmse(bilinear, z_in), rmse(bilinear, z_out)
    run.log(f"MLP RMSE in {mlp_in}, out {mlp_out}; bilinear in {bil_in:.2e}, out {bil_out:.2e}")
    return Result(
        metrics={"mlp_rmse_in": mean_std(mlp_in), "mlp_rmse_out": mean_std(mlp_out),
                 "mlp_out_over_in": mean_std(ratios), "mlp_rmse_in_per_seed": mlp_in,
                 "mlp_rmse_out_per_seed": mlp_out,
                 "bilinear_rmse_in": bil_in, "bilinear_rmse_out": bil_out,
                 "bilinear_weight": bilinear.unit.weight[0].tolist()},
        checks=[
            Check.at_most("ReLU MLP (2x64): largest in-range RMSE", max(mlp_in), 0.02,
                          detail=f"max over {cfg.seeds} seeds"),
            Check.at_least("smallest ratio of its RMSE on [-3,3]^2 to the in-range RMSE",
                           min(ratios), 10, detail=f"out-of-range RMSE {min(mlp_out):.3f} to "
                                               f"{max(mlp_out):.3f}"),
            Check.at_most("one bilinear unit: larger of in- and out-of-range RMSE",
                          max(bil_in, bil_out), 1e-4, detail=f"in {bil_in:.2e}, out {bil_out:.2e}"),
        ],
        figures={"extrapolation": extrapolation_figure(mlps[0], bilinear, cfg.far, run.device)},
        headline=("mlp_rmse_in", "mlp_out_over_in", "bilinear_rmse_out"),
    )


class BilinearUnit(nn.Module):
    """One multiplicative unit: out = z^T W z + b for z = (x, y)."""

    def __init__(self) -> None:
        super().__init__()
        self.unit = nn.Bilinear(2, 2, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.unit(z, z)  # (B, 1)


def product(z: torch.Tensor) -> torch.Tensor:
    return z.prod(dim=1, keepdim=True)  # (B, 1): x * y


def uniform_box(n: int, half_width: float, generator: torch.Generator) -> torch.Tensor:
    return (2 * torch.rand(n, 2, generator=generator) - 1) * half_width  # (n, 2)


def fit(model: nn.Module, z: torch.Tensor, *, optimizer: torch.optim.Optimizer, steps: int,
        scheduler: torch.optim.lr_scheduler.LRScheduler | None = None) -> nn.Module:
    target = product(z)
    for _ in range(steps):
        loss = mse_loss(model(z), target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
    return model


@torch.no_grad()
def rmse(model: nn.Module, z: torch.Tensor) -> float:
    return mse_loss(model(z), product(z)).sqrt().item()


def train_mlp(z: torch.Tensor, cfg: ApproximationConfig, seed: int) -> MLP:
    torch.manual_seed(seed)
    model = MLP(2, 1, width=64, depth=2).to(z.device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.mlp_lr)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, cfg.mlp_steps)
    return fit(model, z, optimizer=optimizer, steps=cfg.mlp_steps, scheduler=scheduler)


def train_bilinear(z: torch.Tensor, cfg: ApproximationConfig, seed: int) -> BilinearUnit:
    torch.manual_seed(seed)
    model = BilinearUnit().to(z.device)
    optimizer = torch.optim.SGD(model.parameters(), lr=cfg.bilinear_lr)
    return fit(model, z, optimizer=optimizer, steps=cfg.bilinear_steps)


def mean_std(values: list[float]) -> dict[str, float]:
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return {"mean": statistics.fmean(values), "std": std}


@torch.no_grad()
def extrapolation_figure(mlp: MLP, bilinear: BilinearUnit, far: float,
                         device: torch.device) -> Figure:
    """f along the diagonal x = y (where xy = x^2) out to `far`, the training range shaded."""
    t = torch.linspace(-far, far, 301, device=device)
    z = torch.stack([t, t], dim=1)  # (301, 2)
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.axvspan(-1, 1, color="0.92", label="training range")
    ax.plot(t.cpu(), product(z).cpu(), "k", lw=3, label="xy")
    ax.plot(t.cpu(), mlp(z).cpu(), label="ReLU MLP 2x64")
    ax.plot(t.cpu(), bilinear(z).cpu(), "--", label="one bilinear unit")
    ax.set(xlabel="x = y", ylabel="f(x, x)", title="approximation vs representation")
    ax.legend()
    return fig
