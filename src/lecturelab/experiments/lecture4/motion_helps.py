"""l4.motion_helps - pixels that move together belong to the same object; motion helps when
learning to see (lecture 4, "beyond single image input").

`motion` camouflage clips (data/motion/): the object's texture is a second draw of the
background's pixel noise, so a single frame holds no trace of it; between frames it moves by
2-5 whole pixels while the background stays. The same U-Net (segmentation/unet.py; Ronneberger
et al. 2015) segments the object in the first frame from that frame alone (3 channels) or from
both frames stacked (6 channels), trained alike. Scored by the object's IoU on held-out clips.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data.motion import generate
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.fitting import fit, predict
from lecturelab.segmentation.metrics import class_iou
from lecturelab.segmentation.unet import UNet


@dataclass(frozen=True)
class MotionHelpsConfig:
    size: int = 32  # frame side in pixels
    n_train: int = 2000  # training clips (two frames each)
    n_test: int = 200  # held-out clips
    depth: int = 3  # poolings of the U-Net
    width: int = 8  # U-Net channels at full resolution
    steps: int = 300  # AdamW steps per segmenter
    batch_size: int = 16  # clips per step
    lr: float = 5e-3  # peak learning rate of the one-cycle schedule


def first_frame(frames: torch.Tensor) -> torch.Tensor:
    """uint8 (B, T, 3, H, W) -> float (B, 3, H, W): frame 0 alone."""
    return (frames[:, 0].float() / 255 - 0.5) * 4


def two_frames(frames: torch.Tensor) -> torch.Tensor:
    """uint8 (B, T, 3, H, W) -> float (B, 6, H, W): frames 0 and 1 stacked."""
    return (frames[:, :2].flatten(1, 2).float() / 255 - 0.5) * 4


def masks_figure(frames: torch.Tensor, truth: torch.Tensor,
                 predictions: dict[str, torch.Tensor]) -> Figure:
    rows = ["frame 0", "frame 1", "truth", *predictions]
    fig = Figure(figsize=(1.5 * len(frames), 1.5 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), len(frames), squeeze=False)
    for j in range(len(frames)):
        axes[0, j].imshow(frames[j, 0].permute(1, 2, 0).numpy())
        axes[1, j].imshow(frames[j, 1].permute(1, 2, 0).numpy())
        for i, m in enumerate([truth, *predictions.values()], start=2):
            axes[i, j].imshow(m[j].numpy(), cmap="gray", vmin=0, vmax=1)
    for ax, name in zip(axes[:, 0], rows, strict=True):
        ax.set_ylabel(name)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("camouflage: the object is visible only through its motion")
    return fig


@experiment(
    "l4.motion_helps", lecture=4,
    claim="pixels that move together belong to the same object; motion helps when learning "
          "to see",
    criterion="camouflaged objects (same texture statistics as the background): a single-frame "
              "segmenter gets IoU at most 0.3, a two-frame segmenter at least 0.6",
    quick=MotionHelpsConfig(),
    full=MotionHelpsConfig(size=96, n_train=20000, n_test=1000, depth=4, width=32, steps=5000,
                           batch_size=32, lr=1e-3),
    smoke=MotionHelpsConfig(size=32, n_train=8, n_test=4, depth=2, width=4, steps=2,
                            batch_size=4))
def motion_helps(cfg: MotionHelpsConfig, run: Run) -> Result:
    train, _ = generate("camouflage", cfg.n_train, 2 * run.seed, size=cfg.size)
    test, _ = generate("camouflage", cfg.n_test, 2 * run.seed + 1, size=cfg.size)
    x, y = train["frames"].to(run.device), train["masks"][:, 0].long().to(run.device)
    xt, yt = test["frames"].to(run.device), test["masks"][:, 0].long().to(run.device)
    iou, predictions = {}, {}
    for name, inputs, channels in (("single_frame", first_frame, 3), ("two_frame", two_frames, 6)):
        torch.manual_seed(run.seed)
        net = UNet(channels, 2, depth=cfg.depth, width=cfg.width).to(run.device)
        fit(net, x, y, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=run.seed,
            inputs=inputs)
        predictions[name] = predict(net, xt, inputs=inputs)
        iou[name] = class_iou(predictions[name], yt, 2)[1].item()
        run.log(f"{name}: object IoU {iou[name]:.3f}")
    fig = masks_figure(test["frames"][:6], test["masks"][:6, 0].long(),
                       {k.replace("_", " "): v[:6].cpu() for k, v in predictions.items()})
    return Result(
        metrics={"single_frame_iou": iou["single_frame"], "two_frame_iou": iou["two_frame"]},
        checks=[Check.at_most("single-frame segmenter: object IoU", iou["single_frame"], 0.3),
                Check.at_least("two-frame segmenter: object IoU", iou["two_frame"], 0.6)],
        figures={"camouflage": fig},
        headline=("single_frame_iou", "two_frame_iou"),
    )
