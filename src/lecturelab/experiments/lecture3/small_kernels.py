"""l3.small_kernels - VGG stacks 3x3 kernels: a larger receptive field for fewer parameters.

Lecture 3, "VGGNet"; Simonyan & Zisserman 2015, "Very Deep Convolutional Networks for
Large-Scale Image Recognition", Sec. 2.3: a stack of n 3x3 conv layers (stride 1, 'same'
padding, a ReLU after each) sees a (2n+1)x(2n+1) window, has 9nC^2 weights against
(2n+1)^2 C^2 for one (2n+1)x(2n+1) layer (C channels in and out, biases left out as in their
count), and puts n non-linearities where the single layer has one. The receptive field is
measured as the extent of the non-zero input gradient of the centre output pixel (all channels
of the last conv, before its ReLU, so that a dead output unit cannot hide it); the weights are
random (He initialisation), which is all the wiring needs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.complexity import count_params
from lecturelab.nn.conv import same_conv


@dataclass(frozen=True)
class SmallKernelsConfig:
    depths: tuple[int, ...] = (1, 2, 3, 4, 5)  # n, the number of stacked 3x3 layers
    channels: int = 64  # C, channels in and out of every layer (VGG's first stage)
    field_channels: int = 16  # channels of the stacks whose receptive field is measured
    image_size: int = 15  # side of the input whose gradient is measured


@experiment(
    "l3.small_kernels", lecture=3,
    claim="VGG stacks 3x3 kernels: larger receptive field, fewer parameters, extra non-linearity",
    criterion="measured receptive field (non-zero input gradient of a centre output) of n "
              "stacked 3x3 convs is 2n+1 for n=1..5; parameters 9nC^2 vs (2n+1)^2 C^2 exactly",
    quick=SmallKernelsConfig(), full=SmallKernelsConfig(depths=tuple(range(1, 8)), image_size=19),
    smoke=SmallKernelsConfig(depths=(1, 2), channels=8, field_channels=4, image_size=7))
def small_kernels(cfg: SmallKernelsConfig, run: Run) -> Result:
    if cfg.image_size < 2 * max(cfg.depths) + 1:
        raise ValueError(f"image_size must be at least 2n+1 = {2 * max(cfg.depths) + 1}, "
                         f"got {cfg.image_size}")
    grads, fields, params = {}, {}, {}
    c = cfg.channels
    for n in cfg.depths:
        pre_activation = stack(n, cfg.field_channels, in_channels=1)[:-1]  # last ReLU off
        grads[n] = input_gradient(pre_activation, 1, cfg.image_size, seed=run.seed + n)
        fields[n] = support_extent(grads[n])
        single = same_conv(c, c, 2 * n + 1, bias=False)
        params[n] = {"stack": count_params(stack(n, c)), "stack_closed_form": 9 * n * c * c,
                     "single": count_params(single), "single_closed_form": (2 * n + 1)**2 * c * c}
    field_ok = [n for n in range(1, 6) if fields.get(n) == (2 * n + 1, 2 * n + 1)]
    params_misses = sum((p["stack"] != p["stack_closed_form"])
                        + (p["single"] != p["single_closed_form"]) for p in params.values())
    run.log(f"receptive fields {fields}; parameters {params}")
    return Result(
        metrics={"receptive_field": {str(n): list(f) for n, f in fields.items()},
                 "parameters": {str(n): p for n, p in params.items()},
                 "stack_over_single": {str(n): p["stack"] / p["single"]
                                       for n, p in params.items()}},
        checks=[
            Check.equal("n in 1..5 whose measured receptive field of n stacked 3x3 convs is "
                        "2n+1", len(field_ok), 5,
                        detail="; ".join(f"n={n}: {h}x{w}" for n, (h, w) in fields.items())),
            Check.equal("layers whose parameter count differs from 9nC^2 (stack) or (2n+1)^2 C^2 "
                        "(single layer)", params_misses, 0,
                        detail=f"C={c}: " + "; ".join(f"n={n}: {p['stack']:,} vs {p['single']:,}"
                                                      for n, p in params.items())),
        ],
        figures={"receptive_fields": fields_figure(grads, params)},
        headline=("receptive_field", "stack_over_single"),
    )


def stack(n: int, channels: int, *, in_channels: int | None = None) -> nn.Sequential:
    """n x [3x3 'same' conv without bias -> ReLU], the VGG pattern."""
    layers: list[nn.Module] = []
    for i in range(n):
        layers += [same_conv(in_channels if i == 0 and in_channels else channels, channels, 3,
                             bias=False), nn.ReLU()]
    return nn.Sequential(*layers)


def input_gradient(model: nn.Module, in_channels: int, size: int, *, seed: int) -> np.ndarray:
    """|d (sum of out[0, :, centre]) / d x| summed over input channels, (size, size)."""
    torch.manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, nonlinearity="relu")
    x = torch.randn(1, in_channels, size, size, requires_grad=True)
    model(x)[0, :, size // 2, size // 2].sum().backward()
    return x.grad[0].abs().sum(0).numpy()


def support_extent(grad: np.ndarray) -> tuple[int, int]:
    """(rows, columns) spanned by the non-zero entries of a 2-D gradient map; (0, 0) if none."""
    rows, cols = np.flatnonzero(grad.any(axis=1)), np.flatnonzero(grad.any(axis=0))
    if not len(rows):
        return 0, 0
    return int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)


def fields_figure(grads: dict[int, np.ndarray], params: dict[int, dict[str, int]]) -> Figure:
    """Top: the input-gradient support per depth. Bottom: parameters against n."""
    fig = Figure(figsize=(2.2 * len(grads), 5.5))
    grid = fig.add_gridspec(2, len(grads), height_ratios=(1, 1.2))
    for i, (n, grad) in enumerate(grads.items()):
        ax = fig.add_subplot(grid[0, i])
        ax.imshow(grad > 0, cmap="Greys", vmin=0, vmax=1)
        ax.set_title(f"n={n}: {2 * n + 1}x{2 * n + 1}")
        ax.set_xticks([])
        ax.set_yticks([])
    ax = fig.add_subplot(grid[1, :])
    depths = list(params)
    ax.plot(depths, [params[n]["stack"] for n in depths], "o-", label="n stacked 3x3: 9nC^2")
    ax.plot(depths, [params[n]["single"] for n in depths], "s-",
            label="one (2n+1)x(2n+1): (2n+1)^2 C^2")
    ax.set(xlabel="n", ylabel="weights", xticks=depths, yscale="log")
    ax.legend()
    return fig
