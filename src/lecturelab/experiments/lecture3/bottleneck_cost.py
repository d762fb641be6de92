"""l3.bottleneck_cost - bottleneck blocks make ResNet-152 cheaper than VGG-19 (lecture 3).

Lecture 3, "ResNet": a bottleneck block reduces the channels with a 1x1 conv, runs its 3x3 conv
on the fewer maps and expands back with a 1x1 (He et al. 2016a, "Deep Residual Learning for
Image Recognition", Sec. 3.3 and Fig. 5). Their Table 1 gives 11.3G multiply-adds ("FLOPs") for
ResNet-152 at 224x224 and Sec. 3.3 19.6G for VGG-19. Multiply-adds are counted with
`count_macs` (convolutions and matrix products of one forward pass, models built on the meta
device). Stated departure: the zoo's ResNets are v1.5 (stride 2 in the bottleneck's 3x3 conv,
as torchvision), which costs more than the paper's v1 (stride in the first 1x1); VGG-19 is
configuration E of Simonyan & Zisserman 2015 (Table 1), without batch norm.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.complexity import count_macs, count_params
from lecturelab.registry import create_model

PUBLISHED_MACS = {"resnet152": 11.3e9, "vgg19": 19.6e9}  # He et al. 2016a, Table 1 / Sec. 3.3


@dataclass(frozen=True)
class BottleneckCostConfig:
    image_size: int = 224  # input side, as in the papers' counts
    others: tuple[str, ...] = ("vgg16", "resnet50", "resnet101")  # counted for the figure only


@experiment(
    "l3.bottleneck_cost", lecture=3,
    claim="bottleneck blocks: ResNet-152 is actually cheaper than VGG",
    criterion="counted multiply-adds at 224x224: ResNet-152 at most 0.65 x VGG-19, each within "
              "5% of the published 11.3G and 19.6G (state the v1/v1.5 stride placement)",
    quick=BottleneckCostConfig(), full=BottleneckCostConfig(),
    smoke=BottleneckCostConfig(image_size=64, others=()))
def bottleneck_cost(cfg: BottleneckCostConfig, run: Run) -> Result:
    costs = {name: cost(name, cfg.image_size) for name in (*PUBLISHED_MACS, *cfg.others)}
    macs = {name: c[0] for name, c in costs.items()}
    ratio = macs["resnet152"] / macs["vgg19"]
    deviation = {n: macs[n] / PUBLISHED_MACS[n] - 1 for n in PUBLISHED_MACS}
    run.log(f"multiply-adds at {cfg.image_size}: {macs}; parameters "
            f"{ {n: c[1] for n, c in costs.items()} }")
    at = f"at {cfg.image_size}x{cfg.image_size}"
    return Result(
        metrics={"image_size": cfg.image_size, "macs": macs,
                 "params": {n: c[1] for n, c in costs.items()},
                 "resnet152_over_vgg19": ratio, "deviation_from_published": deviation,
                 "resnet_stride_placement": "v1.5 (stride in the bottleneck's 3x3 conv)"},
        checks=[
            Check.at_most(f"ResNet-152 multiply-adds {at} over VGG-19's", ratio, 0.65,
                          detail=f"{macs['resnet152'] / 1e9:.3f}G / {macs['vgg19'] / 1e9:.3f}G"),
        ] + [
            Check.at_most(f"{name} {at}: |deviation| from the published "
                          f"{PUBLISHED_MACS[name] / 1e9:.1f}G"
                          + (" (v1.5 stride placement)" if name.startswith("resnet") else ""),
                          abs(deviation[name]), 0.05, detail=f"{macs[name] / 1e9:.3f}G")
            for name in PUBLISHED_MACS
        ],
        notes=[f"counted at {cfg.image_size}x{cfg.image_size} (the criterion: 224x224); ResNet "
               "stride placement v1.5 (stride in the bottleneck's 3x3 conv)"],
        figures={"cost": cost_figure(costs, at)},
        headline=("resnet152_over_vgg19", "macs"),
    )


def cost(name: str, image_size: int) -> tuple[int, int]:
    """(multiply-adds, parameters) of a 1000-class zoo model on one 3-channel image."""
    with torch.device("meta"):
        model = create_model(name, num_classes=1000)
    return count_macs(model, (3, image_size, image_size)), count_params(model)


def cost_figure(costs: dict[str, tuple[int, int]], at: str) -> Figure:
    """Multiply-adds against parameters, one point per network."""
    fig = Figure(figsize=(6, 4.5))
    ax = fig.subplots()
    for name, (macs, params) in costs.items():
        colour = "#c44e52" if name.startswith("vgg") else "#4c72b0"
        ax.scatter(params / 1e6, macs / 1e9, s=60, color=colour)
        ax.annotate(name, (params / 1e6, macs / 1e9), textcoords="offset points", xytext=(6, 4))
    ax.set(xlabel="parameters (M)", ylabel=f"multiply-adds {at} (G)",
           title="VGG (red) vs bottleneck ResNets (blue)")
    ax.set_xlim(0, max(p for _, p in costs.values()) / 1e6 * 1.25)
    ax.set_ylim(0, max(m for m, _ in costs.values()) / 1e9 * 1.15)
    return fig
