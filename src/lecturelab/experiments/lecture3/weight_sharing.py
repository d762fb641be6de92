"""l3.weight_sharing - fully connected -> locally connected (3x3) -> convolutional (lecture 3).

Lecture 3, "Building blocks": restrict every output unit of a fully connected layer to a 3x3
window of the input (locally connected; LeCun 1989, "Generalization and network design
strategies", Sec. 5), then give every window the same filter (convolution). For a
32x32x3 -> 32x32x16 map with biases and 'same' padding the closed forms are

  fully connected     (H W C_in) (H W C_out) + H W C_out
  locally connected   H W C_out (C_in k^2) + H W C_out   (one bias per output unit)
  convolutional       C_out (C_in k^2) + C_out           (one bias per output channel)

The implemented modules (nn.Linear, `LocallyConnected2d`, `same_conv`) are built on the meta
device, so the 50M-parameter fully connected layer is counted without allocating it. As a
demonstration, not a check of the criterion: a locally connected layer whose filters all equal
a conv's computes that conv (the metric `shared_lc_equals_conv_error`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.complexity import count_params
from lecturelab.nn.conv import LocallyConnected2d, same_conv, same_padding


@dataclass(frozen=True)
class WeightSharingConfig:
    size: int = 32  # input and output height = width
    in_channels: int = 3  # input channels
    out_channels: int = 16  # output channels
    kernel_size: int = 3  # the local window (and the conv's kernel)


@experiment(
    "l3.weight_sharing", lecture=3,
    claim="fully connected -> locally connected (3x3) -> convolutional by sharing weights",
    criterion="for 32x32x3 -> 32x32x16, the implemented FC, locally-connected and conv layers "
              "have exactly the closed-form parameter counts; a figure of the three counts",
    quick=WeightSharingConfig(), full=WeightSharingConfig(),
    smoke=WeightSharingConfig(size=8, out_channels=4))
def weight_sharing(cfg: WeightSharingConfig, run: Run) -> Result:
    with torch.device("meta"):
        counted = {name: count_params(build()) for name, build in layers(cfg).items()}
    expected = closed_forms(cfg)
    lc_error = shared_lc_error(cfg, run.seed)
    run.log(f"counted {counted}; closed forms {expected}; shared LC vs conv {lc_error:.1e}")
    shape = f"{cfg.size}x{cfg.size}x{cfg.in_channels} -> {cfg.size}x{cfg.size}x{cfg.out_channels}"
    return Result(
        metrics={"counted": counted, "closed_form": expected,
                 "fc_over_conv": counted["fully_connected"] / counted["convolutional"],
                 "shared_lc_equals_conv_error": lc_error},
        checks=[
            Check.equal(f"{shape}: parameters counted in the implemented "
                        f"{name.replace('_', ' ')} layer", counted[name], expected[name],
                        detail="against the closed form")
            for name in expected
        ],
        notes=[f"the layers map {shape} (the criterion: 32x32x3 -> 32x32x16)"],
        figures={"parameter_counts": counts_figure(counted, shape)},
        headline=("counted", "fc_over_conv"),
    )


def closed_forms(cfg: WeightSharingConfig) -> dict[str, int]:
    positions, k2 = cfg.size**2, cfg.kernel_size**2
    return {
        "fully_connected": positions * cfg.in_channels * positions * cfg.out_channels
        + positions * cfg.out_channels,
        "locally_connected": positions * cfg.out_channels * cfg.in_channels * k2
        + positions * cfg.out_channels,
        "convolutional": cfg.out_channels * cfg.in_channels * k2 + cfg.out_channels,
    }


def layers(cfg: WeightSharingConfig) -> dict[str, Callable[[], nn.Module]]:
    """Builders of the three layers, each mapping (B, C_in, H, W) to (B, C_out, H, W)."""
    n, k = cfg.size, cfg.kernel_size
    return {
        "fully_connected": lambda: nn.Linear(cfg.in_channels * n * n, cfg.out_channels * n * n),
        "locally_connected": lambda: LocallyConnected2d(cfg.in_channels, cfg.out_channels,
                                                        (n, n), k, padding=same_padding(k)),
        "convolutional": lambda: same_conv(cfg.in_channels, cfg.out_channels, k),
    }


@torch.no_grad()
def shared_lc_error(cfg: WeightSharingConfig, seed: int) -> float:
    """max |LC(x) - conv(x)| when every position of the LC layer holds the conv's filter."""
    torch.manual_seed(seed)
    build = layers(cfg)
    lc, conv = build["locally_connected"](), build["convolutional"]()
    lc.weight.copy_(conv.weight.flatten(1).expand_as(lc.weight))  # (H*W, C_out, C_in*k*k)
    lc.bias.copy_(conv.bias[:, None, None].expand_as(lc.bias))
    x = torch.randn(2, cfg.in_channels, cfg.size, cfg.size)
    return float((lc(x) - conv(x)).abs().max())


def counts_figure(counted: dict[str, int], shape: str) -> Figure:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    names = [n.replace("_", "\n") for n in counted]
    bars = ax.bar(names, list(counted.values()), color=["#c44e52", "#dd8452", "#4c72b0"])
    ax.bar_label(bars, labels=[f"{v:,}" for v in counted.values()])
    ax.set(yscale="log", ylabel="parameters (log scale)", title=f"one layer, {shape}")
    ax.set_ylim(top=max(counted.values()) * 20)
    return fig
