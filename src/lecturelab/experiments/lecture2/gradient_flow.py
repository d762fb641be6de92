"""l2.gradient_flow - gradient magnitude as the information that flows back through a deep net.

Lecture 2; Glorot & Bengio 2010 (Sec. 4.2.2, back-propagated gradients vanish in deep sigmoid
nets) and He et al. 2015 (Sec. 2.2, the init that keeps ReLU nets' gradients at scale). Measured
at initialisation on one mnist1d batch: the per-layer gradient norm is that of the parameters a
layer owns (the trainer's diagnostic, `grad_norms`), and the ratio is first layer over output
layer. The ReLU ratio also depends on width and batch (the output layer's gradient grows with
the width of its input); it is reported over widths beside the checked one.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data import load_dataset
from lecturelab.foundations.losses import cross_entropy
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.mlp import MLP
from lecturelab.nn.diagnostics import grad_norms


@dataclass(frozen=True)
class GradientFlowConfig:
    seeds: int = 10  # initialisations per net; every seed must meet the criterion
    layers: int = 20  # affine layers: layers - 1 hidden ones and the output layer
    width: int = 64  # hidden units a layer (the MLP's default)
    batch_size: int = 128  # mnist1d training examples in the batch
    widths: tuple[int, ...] = (64, 128, 256)  # widths of the reported ReLU width sweep


@experiment(
    "l2.gradient_flow", lecture=2,
    claim="gradient magnitude as amount of information that flows through the model",
    criterion="at init, a 20-layer sigmoid MLP has first-layer/last-layer gradient-norm ratio at "
              "most 1e-3; a 20-layer ReLU MLP with He init has it at least 0.1; figure of "
              "per-layer gradient norms",
    quick=GradientFlowConfig(), full=GradientFlowConfig(seeds=100, widths=(64, 128, 256, 512)),
    smoke=GradientFlowConfig(seeds=2, layers=4, widths=(16,)))
def gradient_flow(cfg: GradientFlowConfig, run: Run) -> Result:
    data = load_dataset("mnist1d")
    x = data.x_train[:cfg.batch_size].to(run.device)
    y = data.y_train[:cfg.batch_size].to(run.device)
    sig, sig_norms = ratios(x, y, cfg, run.seed, activation="sigmoid", init="xavier",
                            width=cfg.width)
    relu, relu_norms = ratios(x, y, cfg, run.seed, activation="relu", init="he", width=cfg.width)
    by_width = {w: statistics.median(ratios(x, y, cfg, run.seed, activation="relu", init="he",
                                            width=w)[0]) for w in cfg.widths}
    run.log(f"sigmoid ratios {sig}\nReLU ratios {relu}\nReLU median ratio by width {by_width}")
    return Result(
        metrics={"sigmoid_ratio_max": max(sig), "sigmoid_ratio_median": statistics.median(sig),
                 "relu_ratio_min": min(relu), "relu_ratio_median": statistics.median(relu),
                 "relu_ratio_median_by_width": {str(w): r for w, r in by_width.items()},
                 "sigmoid_layer_norms_seed0": sig_norms[0],
                 "relu_layer_norms_seed0": relu_norms[0]},
        checks=[
            Check.at_most(f"{cfg.layers}-layer sigmoid MLP: largest first/last gradient-norm "
                          "ratio", max(sig), 1e-3, detail=f"max over {cfg.seeds} seeds"),
            Check.at_least(f"{cfg.layers}-layer ReLU MLP, He init: smallest ratio", min(relu), 0.1,
                           detail=f"min over {cfg.seeds} seeds (width {cfg.width}; medians by "
                                  f"width {fmt(by_width)})"),
        ],
        figures={"layer_gradient_norms": norms_figure(sig_norms, relu_norms)},
        headline=("sigmoid_ratio_max", "relu_ratio_min"),
    )


def layer_grad_norms(x: torch.Tensor, y: torch.Tensor, *, layers: int, width: int,
                     activation: str, init: str, seed: int) -> list[float]:
    """Gradient norm of each affine layer of a fresh net, input layer first, on one batch."""
    torch.manual_seed(seed)
    model = MLP(x.shape[1], 10, width=width, depth=layers - 1, activation=activation,
                init=init).to(x.device)
    cross_entropy(model(x), y).backward()
    return list(grad_norms(model).values())


def ratios(x: torch.Tensor, y: torch.Tensor, cfg: GradientFlowConfig, seed: int, *,
           activation: str, init: str, width: int) -> tuple[list[float], list[list[float]]]:
    norms = [layer_grad_norms(x, y, layers=cfg.layers, width=width, activation=activation,
                              init=init, seed=seed + i) for i in range(cfg.seeds)]
    return [n[0] / n[-1] for n in norms], norms


def fmt(by_width: dict[int, float]) -> str:
    return ", ".join(f"{w}: {r:.3f}" for w, r in by_width.items())


def norms_figure(sig_norms: list[list[float]], relu_norms: list[list[float]]) -> Figure:
    """Per-layer gradient norms at init, median over seeds with the min-max band."""
    fig = Figure(figsize=(6.5, 4))
    ax = fig.subplots()
    for i, (name, norms) in enumerate((("sigmoid, Glorot init", sig_norms),
                                       ("ReLU, He init", relu_norms))):
        t = torch.tensor(norms)  # (seeds, layers)
        layer = range(1, t.shape[1] + 1)
        ax.fill_between(layer, t.min(0).values, t.max(0).values, color=f"C{i}", alpha=0.2)
        ax.plot(layer, t.median(0).values, "o-", color=f"C{i}", label=name)
    ax.set(yscale="log", xlabel="layer (1 = input layer)", ylabel="gradient norm at init",
           title=f"gradient flow through {len(sig_norms[0])} layers")
    ax.legend()
    return fig
