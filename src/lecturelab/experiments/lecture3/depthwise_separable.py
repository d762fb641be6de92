"""l3.depthwise_separable - depthwise separable convolutions and inverted bottlenecks reduce
complexity (lecture 3, "Reduce complexity").

Howard et al. 2017, "MobileNets", Sec. 3.1, eq. 5: a k x k depthwise conv followed by a 1x1
pointwise conv costs C_in k^2 + C_in C_out per output pixel against C_in C_out k^2 for the
standard conv, a ratio of 1/C_out + 1/k^2 - for weights and for multiply-adds alike (convs
without bias, stride 1). Both are measured on the implemented layers (`count_params`,
`count_macs`) and compared with the formula as exact fractions. Sandler et al. 2018,
"MobileNetV2", Table 4: 300M multiply-adds at 224x224 and 3.4M parameters in print; the
criterion's 3.5M is the exact count of the reference implementation (torchvision: 3,504,872),
and the deviation from 3.4M is reported beside it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from fractions import Fraction

import torch
from matplotlib.figure import Figure

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.complexity import count_macs, count_params
from lecturelab.nn.conv import depthwise_separable_conv, same_conv
from lecturelab.registry import create_model

MOBILENET_V2 = {"params": 3.5e6, "macs": 300e6}  # the criterion's references at 224x224
PAPER_PARAMS = 3.4e6  # Sandler et al. 2018, Table 4, as printed


@dataclass(frozen=True)
class DepthwiseSeparableConfig:
    in_channels: tuple[int, ...] = (16, 32, 96)  # C_in of the compared layers
    out_channels: tuple[int, ...] = (16, 64, 320)  # C_out of the compared layers
    kernel_sizes: tuple[int, ...] = (3, 5, 7)  # k of the compared layers
    map_size: int = 14  # height = width of the input map the multiply-adds are counted on
    image_size: int = 224  # MobileNetV2's input side


@experiment(
    "l3.depthwise_separable", lecture=3,
    claim="depthwise / separable convolutions, inverted bottlenecks reduce complexity",
    criterion="separable/standard cost ratio equals 1/C_out + 1/k^2 exactly (params and counted "
              "MACs); MobileNetV2 params and MACs within 3% of 3.5M and 300M",
    quick=DepthwiseSeparableConfig(), full=DepthwiseSeparableConfig(),
    smoke=DepthwiseSeparableConfig(in_channels=(8,), out_channels=(16,), kernel_sizes=(3,),
                                   map_size=8, image_size=64))
def depthwise_separable(cfg: DepthwiseSeparableConfig, run: Run) -> Result:
    layers = list(itertools.product(cfg.in_channels, cfg.out_channels, cfg.kernel_sizes))
    measured = {(ci, co, k): ratios(ci, co, k, cfg.map_size) for ci, co, k in layers}
    misses = [key for key, r in measured.items() if not r["params"] == r["macs"] == r["formula"]]
    with torch.device("meta"):
        mobilenet = create_model("mobilenet_v2", num_classes=1000)
    counted = {"params": count_params(mobilenet),
               "macs": count_macs(mobilenet, (3, cfg.image_size, cfg.image_size))}
    deviation = {key: counted[key] / MOBILENET_V2[key] - 1 for key in counted}
    run.log(f"{len(layers)} layer shapes, {len(misses)} ratio mismatches {misses[:3]}; "
            f"MobileNetV2 {counted} at {cfg.image_size}")
    return Result(
        metrics={"layer_shapes": len(layers), "ratio_mismatches": len(misses),
                 "ratios": {f"{ci}-{co}-k{k}": float(r["macs"])
                            for (ci, co, k), r in measured.items()},
                 "mobilenet_v2": counted, "mobilenet_v2_deviation": deviation,
                 "mobilenet_v2_params_vs_paper_3.4M": counted["params"] / PAPER_PARAMS - 1},
        checks=[
            Check.equal("(C_in, C_out, k) shapes whose separable/standard ratio of params or "
                        "counted MACs differs from 1/C_out + 1/k^2", len(misses), 0,
                        detail=f"of {len(layers)}, e.g. {layers[-1]}: "
                               f"{measured[layers[-1]]['macs']}"),
            Check.at_most("MobileNetV2 params: |deviation| from 3.5M", abs(deviation["params"]),
                          0.03, detail=f"{counted['params']:,}"),
            Check.at_most(f"MobileNetV2 MACs at {cfg.image_size}x{cfg.image_size}: |deviation| "
                          "from 300M", abs(deviation["macs"]), 0.03,
                          detail=f"{counted['macs'] / 1e6:.1f}M"),
        ],
        notes=[f"MACs counted at {cfg.image_size}x{cfg.image_size} (the criterion: 224x224)"],
        figures={"cost_ratio": ratio_figure(measured)},
        headline=("ratio_mismatches", "mobilenet_v2"),
    )


def ratios(c_in: int, c_out: int, k: int, size: int) -> dict[str, Fraction]:
    """Separable / standard cost as exact fractions: counted params, counted MACs, formula."""
    with torch.device("meta"):
        separable = depthwise_separable_conv(c_in, c_out, k, bias=False)
        standard = same_conv(c_in, c_out, k, bias=False)
    shape = (c_in, size, size)
    return {"params": Fraction(count_params(separable), count_params(standard)),
            "macs": Fraction(count_macs(separable, shape), count_macs(standard, shape)),
            "formula": Fraction(1, c_out) + Fraction(1, k * k)}


def ratio_figure(measured: dict[tuple[int, int, int], dict[str, Fraction]]) -> Figure:
    """Counted ratios against 1/C_out + 1/k^2: every point on the diagonal."""
    fig = Figure(figsize=(5.5, 4.5))
    ax = fig.subplots()
    formula = [float(r["formula"]) for r in measured.values()]
    ax.plot([0, max(formula) * 1.05], [0, max(formula) * 1.05], "k--", lw=1, label="y = x")
    ax.scatter(formula, [float(r["params"]) for r in measured.values()], s=70,
               facecolors="none", edgecolors="#4c72b0", label="parameters")
    ax.scatter(formula, [float(r["macs"]) for r in measured.values()], s=15, color="#c44e52",
               label="multiply-adds")
    ax.set(xlabel="1/C_out + 1/k^2", ylabel="separable / standard (counted)",
           title="depthwise separable vs standard convolution")
    ax.legend()
    return fig
