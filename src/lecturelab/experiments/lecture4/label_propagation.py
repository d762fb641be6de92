"""l4.label_propagation - labelling video is tedious: humans label keyframes and methods
propagate the labels (lecture 4, "beyond single image input").

`motion` flow sequences of 6 frames (data/motion/: textured objects under affine motion over
a moving background, exact instance masks per frame). Frame 0's instance masks are the
"human" keyframe labels; they are carried to frames 1-5 along optical flow estimated from the
frames alone - block matching of 5x5 patches over displacements up to 6 px, no training
(motion/propagation.py) - and compared with copying the keyframe unchanged. Scored by the mean
IoU over instances and background, per frame, averaged over the 5 frames after the keyframe.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from lecturelab.data.motion import generate
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.propagation import block_matching_flow, copy_labels, propagate_labels
from lecturelab.segmentation.metrics import mean_iou

PALETTE = ListedColormap(["#202020", "#e6194b", "#3cb44b", "#4363d8", "#ffe119"])


@dataclass(frozen=True)
class PropagationConfig:
    size: int = 64  # frame side in pixels
    frames: int = 6  # the keyframe and the 5 frames after it
    n_videos: int = 40  # held-out sequences
    max_objects: int = 3  # objects per sequence (at least 1)
    max_displacement: int = 6  # block-matching search range, pixels
    patch: int = 5  # block-matching window, pixels


def video_miou(pred: torch.Tensor, truth: torch.Tensor, labels: int) -> torch.Tensor:
    """(T,) mean IoU of each frame, averaged over the videos; pred, truth (N, T, H, W)."""
    per = [[mean_iou(pred[n, t], truth[n, t], labels) for t in range(truth.shape[1])]
           for n in range(len(truth))]
    return torch.tensor(per).mean(0)


def propagation_figure(frames: torch.Tensor, rows: dict[str, torch.Tensor]) -> Figure:
    t = frames.shape[0]
    fig = Figure(figsize=(1.6 * t, 1.6 * (1 + len(rows))), layout="constrained")
    axes = fig.subplots(1 + len(rows), t, squeeze=False)
    for j in range(t):
        axes[0, j].imshow(frames[j].permute(1, 2, 0).numpy())
        axes[0, j].set_title(f"frame {j}")
        for i, m in enumerate(rows.values(), start=1):
            axes[i, j].imshow(m[j].numpy(), cmap=PALETTE, vmin=0, vmax=4,
                              interpolation="nearest")
    for ax, name in zip(axes[:, 0], ["frames", *rows], strict=True):
        ax.set_ylabel(name)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


@experiment(
    "l4.label_propagation", lecture=4,
    claim="labelling video is tedious: humans label keyframes and methods propagate the labels",
    criterion="propagating a keyframe's masks with the estimated optical flow gives at least "
              "0.1 higher mIoU over the next 5 frames than copying the keyframe's masks "
              "unchanged",
    quick=PropagationConfig(),
    full=PropagationConfig(size=128, n_videos=500, max_displacement=10),
    smoke=PropagationConfig(size=32, frames=3, n_videos=2, max_displacement=2))
def label_propagation(cfg: PropagationConfig, run: Run) -> Result:
    seqs, _ = generate("flow", cfg.n_videos, 2 * run.seed + 1, size=cfg.size, frames=cfg.frames,
                       max_objects=cfg.max_objects)
    frames = seqs["frames"].float().to(run.device) / 255  # (N, T, 3, H, W)
    truth = seqs["instances"].to(run.device)  # (N, T, H, W)
    labels = cfg.max_objects + 1

    def estimate(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return block_matching_flow(a, b, max_displacement=cfg.max_displacement, patch=cfg.patch)

    propagated = propagate_labels(truth[:, 0], frames, estimate, labels)
    copied = copy_labels(truth[:, 0], cfg.frames)
    per_frame = {"propagated": video_miou(propagated, truth, labels),
                 "copied": video_miou(copied, truth, labels)}
    later = {k: v[1:].mean().item() for k, v in per_frame.items()}
    gain = later["propagated"] - later["copied"]
    run.log(f"mIoU over frames 1-{cfg.frames - 1}: propagated {later['propagated']:.3f}, copied "
            f"{later['copied']:.3f}")
    fig = propagation_figure(seqs["frames"][0], {"truth": truth[0].cpu(),
                                                 "flow-propagated": propagated[0].cpu(),
                                                 "copied": copied[0].cpu()})
    return Result(
        metrics={"propagated_miou": later["propagated"], "copied_miou": later["copied"],
                 "gain": gain,
                 "propagated_miou_per_frame": per_frame["propagated"].round(decimals=4).tolist(),
                 "copied_miou_per_frame": per_frame["copied"].round(decimals=4).tolist()},
        checks=[Check.at_least("mIoU over the next frames: flow-propagated minus copied", gain,
                               0.1, detail=f"{later['propagated']:.3f} vs {later['copied']:.3f}")],
        figures={"propagation": fig},
        headline=("propagated_miou", "copied_miou", "gain"),
    )
