"""l4.action_recognition - 3-D convolutions: the kernel moves in space and time; action labels
(lecture 4, "beyond single image input").

`motion` action videos (data/motion/): a striped polygon moving right, left, down or up, or
turning clockwise or anticlockwise, on a torus - it wraps around the edges, so every position
and angle is equally likely in every frame of every class, and frame 0 is the same whatever
the action. A 3-D ResNet (R3D, Tran et al. 2018, Sec. 3.1; motion/video.py) sees space and
time; the same net with 1x3x3 kernels and a 1x7x7 stem classifies each frame on its own and
averages the frames' features - the frame-wise 2-D baseline. Both train alike. Departures:
three stages of one block at widths 8-32, 32x32 frames, 8 frames per clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data.motion import ACTIONS, generate
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.fitting import accuracy, fit
from lecturelab.motion.video import VideoResNet


@dataclass(frozen=True)
class ActionConfig:
    size: int = 32  # frame side in pixels
    frames: int = 8  # frames per clip
    n_train: int = 1200  # training clips
    n_test: int = 300  # held-out clips
    widths: tuple[int, ...] = (8, 16, 32)  # channels of the stages (one block each)
    steps: int = 400  # AdamW steps per net
    batch_size: int = 32  # clips per step
    lr: float = 4e-3  # peak learning rate of the one-cycle schedule


def video_net(kind: str, cfg: ActionConfig, classes: int) -> VideoResNet:
    return VideoResNet(kind, layers=(1,) * len(cfg.widths), widths=cfg.widths,
                       num_classes=classes)


def frame_strip(frames: torch.Tensor, labels: torch.Tensor, names: tuple[str, ...]) -> Figure:
    """One row per clip: its frames left to right, the class on the left."""
    rows, t = len(frames), frames.shape[1]
    fig = Figure(figsize=(1.1 * t, 1.1 * rows + 0.4), layout="constrained")
    axes = fig.subplots(rows, t, squeeze=False)
    for i in range(rows):
        for j in range(t):
            axes[i, j].imshow(frames[i, j].permute(1, 2, 0).numpy())
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
        axes[i, 0].set_ylabel(names[int(labels[i])], fontsize=8)
    fig.suptitle("action videos: the class is the motion (time runs left to right)")
    return fig


@experiment(
    "l4.action_recognition", lecture=4,
    claim="3-D convolutions: kernel moves in space and time; action labels",
    criterion="on videos whose class is the motion and whose frames alone are uninformative, "
              "frame-wise 2-D classification is within 10 points of chance, a 3-D CNN at "
              "least 90%",
    quick=ActionConfig(),
    full=ActionConfig(size=64, frames=16, n_train=20000, n_test=2000, widths=(64, 128, 256),
                      steps=5000, batch_size=64, lr=1e-3),
    smoke=ActionConfig(frames=4, n_train=12, n_test=6, widths=(4, 8), steps=2, batch_size=4))
def action_recognition(cfg: ActionConfig, run: Run) -> Result:
    video = {"size": cfg.size, "frames": cfg.frames}
    train, _ = generate("actions", cfg.n_train, 2 * run.seed, **video)
    test, _ = generate("actions", cfg.n_test, 2 * run.seed + 1, **video)
    x, y = train["frames"].to(run.device), train["labels"].to(run.device)
    xt, yt = test["frames"].to(run.device), test["labels"].to(run.device)
    chance = 1 / len(ACTIONS)
    acc = {}
    for name, kind in (("frame_wise_2d", "2d"), ("cnn_3d", "3d")):
        torch.manual_seed(run.seed)
        net = fit(video_net(kind, cfg, len(ACTIONS)).to(run.device), x, y, steps=cfg.steps,
                  batch_size=cfg.batch_size, lr=cfg.lr, seed=run.seed)
        acc[name] = accuracy(net, xt, yt)
        run.log(f"{name}: test accuracy {acc[name]:.3f}")
    gap = abs(acc["frame_wise_2d"] - chance)
    return Result(
        metrics={"frame_wise_2d_accuracy": acc["frame_wise_2d"],
                 "cnn_3d_accuracy": acc["cnn_3d"], "chance": chance,
                 "frame_wise_points_from_chance": 100 * gap},
        checks=[Check.at_most("frame-wise 2-D accuracy: points from chance", 100 * gap, 10.0,
                              detail=f"{acc['frame_wise_2d']:.3f} vs chance {chance:.3f}"),
                Check.at_least("3-D CNN accuracy", acc["cnn_3d"], 0.9)],
        figures={"actions": frame_strip(test["frames"][:6], test["labels"][:6], ACTIONS)},
        headline=("frame_wise_2d_accuracy", "cnn_3d_accuracy"),
        notes=[f"{len(ACTIONS)} classes, chance {chance:.3f}; {cfg.n_test} held-out clips"],
    )
