"""l4.optical_flow - FlowNet: an encoder-decoder supervised with the Euclidean (end-point)
loss on synthetic Flying Chairs (lecture 4; Dosovitskiy et al. 2015, "FlowNet", Sec. 3-4).

`motion` flow pairs (data/motion/): textured objects under random affine motion over a
moving textured background, with exact flow - Flying Chairs' recipe with procedural shapes
and value-noise textures. FlowNetS and FlowNetC (motion/flownet.py; departures listed there:
three decoder scales, batch norm, cosine correlation at 1/4 resolution) train with one recipe
(motion/training.py: AdamW, one-cycle, the multi-scale EPE loss) and are scored by the EPE on
held-out pairs, next to the zero-flow EPE (the mean flow magnitude). Pairs are generated once,
before training.

Each net has its own width and schedule (`NetSchedule`). FlowNetS learns slowly from stacked
frames (its loss sits at the zero-flow level for the first few hundred steps), so in the quick
profile it gets the larger budget: width 16, 2,400 steps of 8 pairs (19,200 pairs seen); the
correlation layer lets FlowNetC learn at once, and it trains at width 12 for 450 steps of 16
(7,200 pairs). "FlowNetC at most FlowNetS" is therefore measured with FlowNetC handicapped.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data.motion import FlowConfig
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.flow_io import flow_to_colour
from lecturelab.motion.flownet import FlowNet
from lecturelab.motion.training import (
    FLOWNETS,
    FlowTrainConfig,
    evaluate_flow,
    fit_flow,
    flow_pairs,
)


@dataclass(frozen=True)
class NetSchedule:
    """One FlowNet's width and training schedule."""

    width: int  # channels of the first layer (the paper: 64)
    steps: int  # AdamW steps
    batch_size: int  # pairs per step
    lr: float  # peak learning rate of the one-cycle schedule

    def train(self) -> FlowTrainConfig:
        return FlowTrainConfig(steps=self.steps, batch_size=self.batch_size, lr=self.lr)


PAPER_SCHEDULE = NetSchedule(width=64, steps=60000, batch_size=8, lr=1e-4)
SMOKE_SCHEDULE = NetSchedule(width=4, steps=2, batch_size=4, lr=3e-3)


@dataclass(frozen=True)
class OpticalFlowConfig:
    size: int = 64  # frame side in pixels
    n_train: int = 1500  # training pairs, generated before training
    n_test: int = 200  # held-out pairs
    flownet_s: NetSchedule = NetSchedule(width=16, steps=2400, batch_size=8, lr=1e-3)
    flownet_c: NetSchedule = NetSchedule(width=12, steps=450, batch_size=16, lr=3e-3)


def flow_figure(frames: torch.Tensor, truth: torch.Tensor, flows: dict[str, torch.Tensor]
                ) -> Figure:
    """Per pair: the first frame, the true flow and each net's flow, all on one colour scale."""
    rows = ["frame 1", "true flow", *flows]
    fig = Figure(figsize=(1.7 * len(frames), 1.7 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), len(frames), squeeze=False)
    for j in range(len(frames)):
        top = float(truth[j].norm(dim=0).max())
        axes[0, j].imshow(frames[j, 0].permute(1, 2, 0).numpy())
        for i, f in enumerate([truth, *flows.values()], start=1):
            axes[i, j].imshow(flow_to_colour(f[j], top).permute(1, 2, 0).numpy())
    for ax, name in zip(axes[:, 0], rows, strict=True):
        ax.set_ylabel(name)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("optical flow on the colour wheel (hue: direction, saturation: speed)")
    return fig


@experiment(
    "l4.optical_flow", lecture=4,
    claim="FlowNet: encoder-decoder, supervised with Euclidean loss, synthetic Flying Chairs",
    criterion="on held-out synthetic pairs, FlowNetS end-point error at most 0.3 x the "
              "zero-flow EPE; FlowNetC (correlation layer) EPE at most FlowNetS's",
    quick=OpticalFlowConfig(),
    full=OpticalFlowConfig(size=256, n_train=22000, n_test=640, flownet_s=PAPER_SCHEDULE,
                           flownet_c=PAPER_SCHEDULE),
    smoke=OpticalFlowConfig(size=32, n_train=8, n_test=4, flownet_s=SMOKE_SCHEDULE,
                            flownet_c=SMOKE_SCHEDULE))
def optical_flow(cfg: OpticalFlowConfig, run: Run) -> Result:
    data = FlowConfig(size=cfg.size)
    frames, flows = (t.to(run.device) for t in flow_pairs(cfg.n_train, 2 * run.seed, data))
    test = [t.to(run.device) for t in flow_pairs(cfg.n_test, 2 * run.seed + 1, data)]
    epe, shown = {}, {}
    for name, schedule in (("flownet_s", cfg.flownet_s), ("flownet_c", cfg.flownet_c)):
        torch.manual_seed(run.seed)
        net: FlowNet = FLOWNETS[name](width=schedule.width).to(run.device)
        fit_flow(net, frames, flows, schedule.train(), seed=run.seed)
        scores = evaluate_flow(net, *test)
        epe[name], zero = scores["epe"], scores["zero_flow_epe"]
        with torch.no_grad():
            pair = test[0][:5].float() / 255
            shown[name] = net.estimate(pair[:, 0], pair[:, 1]).cpu()
        run.log(f"{name}: EPE {epe[name]:.3f} (zero flow {zero:.3f})")
    ratio = epe["flownet_s"] / zero
    return Result(
        metrics={"zero_flow_epe": zero, "flownet_s_epe": epe["flownet_s"],
                 "flownet_c_epe": epe["flownet_c"], "flownet_s_over_zero": ratio},
        checks=[Check.at_most("FlowNetS EPE / zero-flow EPE", ratio, 0.3,
                              detail=f"{epe['flownet_s']:.3f} vs {zero:.3f}"),
                Check.at_most("FlowNetC EPE minus FlowNetS EPE", epe["flownet_c"] -
                              epe["flownet_s"], 0.0,
                              detail=f"{epe['flownet_c']:.3f} vs {epe['flownet_s']:.3f}")],
        figures={"flow": flow_figure(test[0][:5].cpu(), test[1][:5].cpu(),
                                     {"FlowNetS": shown["flownet_s"],
                                      "FlowNetC": shown["flownet_c"]})},
        headline=("zero_flow_epe", "flownet_s_epe", "flownet_c_epe"),
        notes=[f"{cfg.n_train} training pairs of {cfg.size}x{cfg.size}; " + "; ".join(
            f"{name}: width {n.width}, {n.steps} steps of {n.batch_size} pairs"
            for name, n in (("FlowNetS", cfg.flownet_s), ("FlowNetC", cfg.flownet_c)))],
    )
