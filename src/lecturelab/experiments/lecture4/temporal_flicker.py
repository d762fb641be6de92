"""l4.temporal_flicker - frame-wise segmentation of video flickers (lecture 4, "beyond single
image input").

`motion` flicker clips (data/motion/): a static `shapes` scene repeated over 8 frames with
fresh Gaussian noise in each, so every pixel is static and any change of its label between
frames is flicker. The same dilated segmenter (motion/segmentation.py) with 1x3x3 kernels
labels each frame on its own; with 3x3x3 kernels it sees neighbouring frames (a 3-D temporal
model). Both train alike to label each pixel object or background (the scenes' semantic masks
with the shape classes merged: six shape classes were beyond either segmenter in the quick
budget, mIoU 0.22-0.25, and a segmenter that answers "background" everywhere cannot flicker);
flicker is the fraction of (pixel, consecutive frame pair) whose predicted label changes on
held-out clips.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data.motion import generate
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.fitting import fit, predict
from lecturelab.motion.segmentation import VideoSegmenter
from lecturelab.segmentation.metrics import mean_iou


@dataclass(frozen=True)
class FlickerConfig:
    size: int = 32  # frame side in pixels
    frames: int = 8  # frames per clip
    noise: float = 50.0  # per-frame Gaussian noise, standard deviation in 0-255 units
    n_train: int = 300  # training clips
    n_test: int = 60  # held-out clips
    width: int = 12  # channels of the segmenters
    steps: int = 110  # AdamW steps per segmenter
    batch_size: int = 8  # clips per step
    lr: float = 5e-3  # peak learning rate of the one-cycle schedule


def objects(semantic: torch.Tensor, frames: int) -> torch.Tensor:
    """Semantic maps (N, H, W) -> object (1) / background (0) labels (N, T, H, W) for every
    frame of the static clip."""
    return (semantic > 0).long()[:, None].expand(-1, frames, -1, -1)


def flicker_rate(labels: torch.Tensor) -> float:
    """Fraction of (pixel, consecutive frame pair) whose label changes; labels (N, T, H, W)."""
    return (labels[:, 1:] != labels[:, :-1]).float().mean().item()


def flicker_figure(frames: torch.Tensor, maps: dict[str, torch.Tensor]) -> Figure:
    """A noisy frame, then per model how many times each pixel's label changed."""
    fig = Figure(figsize=(3.2 * (1 + len(maps)), 3.2), layout="constrained")
    axes = fig.subplots(1, 1 + len(maps))
    axes[0].imshow(frames[0].permute(1, 2, 0).numpy())
    axes[0].set_title("frame 0 (static scene + noise)")
    top = max(int(m.max()) for m in maps.values()) or 1
    for ax, (name, m) in zip(axes[1:], maps.items(), strict=True):
        im = ax.imshow(m.numpy(), cmap="magma", vmin=0, vmax=top)
        ax.set_title(f"{name}: label changes")
    fig.colorbar(im, ax=axes[-1], shrink=0.8)
    for ax in axes:
        ax.set_xticks([])
        ax.set_yticks([])
    return fig


@experiment(
    "l4.temporal_flicker", lecture=4,
    claim="frame-wise segmentation of video flickers",
    criterion="frame-wise segmentation changes the label of static pixels between consecutive "
              "frames at least 2x as often as a temporal (3-D or recurrent) model",
    quick=FlickerConfig(),
    full=FlickerConfig(size=96, frames=16, n_train=5000, n_test=500, width=64, steps=5000,
                       batch_size=16, lr=1e-3),
    smoke=FlickerConfig(frames=4, n_train=4, n_test=2, width=4, steps=2, batch_size=2))
def temporal_flicker(cfg: FlickerConfig, run: Run) -> Result:
    clips = {"size": cfg.size, "frames": cfg.frames, "noise": cfg.noise}
    train, _ = generate("flicker", cfg.n_train, 2 * run.seed, **clips)
    test, _ = generate("flicker", cfg.n_test, 2 * run.seed + 1, **clips)
    x = train["frames"].to(run.device)
    y = objects(train["semantic"], cfg.frames).to(run.device)  # (N, T, H, W)
    xt = test["frames"].to(run.device)
    yt = objects(test["semantic"], cfg.frames).to(run.device)
    classes = ("background", "object")
    rate, miou, changes = {}, {}, {}
    for name, kt in (("frame_wise", 1), ("temporal_3d", 3)):
        torch.manual_seed(run.seed)
        net = VideoSegmenter(3, len(classes), width=cfg.width, time_kernel=kt).to(run.device)
        fit(net, x, y, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=run.seed)
        pred = predict(net, xt, batch=16)  # (N, T, H, W)
        rate[name] = flicker_rate(pred)
        miou[name] = mean_iou(pred.flatten(0, 1), yt.flatten(0, 1), len(classes))
        changes[name] = (pred[0, 1:] != pred[0, :-1]).sum(0).cpu()
        run.log(f"{name}: flicker {rate[name]:.4f}, mIoU {miou[name]:.3f}")
    pairs = yt[:, 1:].numel()
    ratio = rate["frame_wise"] / max(rate["temporal_3d"], 1 / pairs)  # at least one change
    return Result(
        metrics={"frame_wise_flicker": rate["frame_wise"], "temporal_flicker": rate["temporal_3d"],
                 "flicker_ratio": ratio, "frame_wise_miou": miou["frame_wise"],
                 "temporal_miou": miou["temporal_3d"]},
        checks=[Check.at_least("flicker of frame-wise / temporal segmentation", ratio, 2.0,
                               detail=f"{rate['frame_wise']:.4f} vs {rate['temporal_3d']:.4f} "
                                      f"of static pixel pairs")],
        figures={"flicker": flicker_figure(test["frames"][0], changes)},
        headline=("frame_wise_flicker", "temporal_flicker", "flicker_ratio"),
        notes=["every pixel is static, so every label change is flicker; mIoU shows that both "
               "segmenters segment (a constant answer would not flicker either)"],
    )
