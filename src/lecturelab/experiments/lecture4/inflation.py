"""l4.inflation - transfer 2-D filters to 3-D by replicating them along time (lecture 4;
Carreira & Zisserman 2017, "Quo vadis, action recognition?", Sec. 2.4).

The lecture-3 zoo's small CNN (three conv-BN-ReLU-pool stages, global average pooling) is
first trained on single frames of many `motion` slowfast clips to name the shape in them (the
stand-in for ImageNet pre-training: frames of the same data, more of them than the fine-tuning
set has clips); `inflate` (motion/inflate.py) turns it into a 3-D net by replicating each
kernel over time and dividing by its length. (1) On static clips -
one frame repeated - the 3-D net must give the 2-D net's logits. (2) Both the inflated net and
the same 3-D net inflated from an untrained LeNet-5 are fine-tuned for the same steps on
`motion` slowfast clips, whose class is the shape and whether it vibrates (seen at the full
frame rate): starting from inflated weights should win. Departures: LeNet-5 (tanh, average
pooling) at 32x32 instead of Inception-v1, time kernels of 3, clips of 4 frames (one period of
the vibration).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lecturelab.data.motion import generate
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.fitting import accuracy, fit
from lecturelab.motion.inflate import inflate
from lecturelab.registry import create_model


@dataclass(frozen=True)
class InflationConfig:
    net: str = "small_cnn"  # the 2-D zoo model that is pre-trained and inflated
    frames: int = 4  # frames per clip (the vibration's period is 4 frames)
    n_pretrain: int = 3000  # clips whose first frames pre-train the 2-D net (shape labels)
    n_train: int = 400  # training clips for fine-tuning (the first n_pretrain clips' videos)
    n_test: int = 300  # held-out clips
    pretrain_steps: int = 300  # AdamW steps of the 2-D net on single frames
    pretrain_batch: int = 32  # frames per pre-training step
    steps: int = 150  # fine-tuning steps of each 3-D net
    batch_size: int = 16  # clips per fine-tuning step
    lr: float = 3e-3  # peak learning rate of the one-cycle schedules
    time_kernel: int = 3  # inflated kernel length in time


def image_input(frames: torch.Tensor) -> torch.Tensor:
    """uint8 (B, 3, H, W) -> float, centred and scaled as `clip_input` does."""
    return (frames.float() / 255 - 0.5) * 4


@experiment(
    "l4.inflation", lecture=4,
    claim="transfer 2-D filters to 3-D by replicating along time",
    criterion="an inflated 3-D net on a static video (one frame repeated) outputs the 2-D net's "
              "logits to 1e-5; fine-tuning from inflated weights beats 3-D from scratch at equal "
              "steps",
    quick=InflationConfig(),
    full=InflationConfig(frames=8, n_pretrain=50000, n_train=5000, n_test=2000,
                         pretrain_steps=3000, steps=1000),
    smoke=InflationConfig(n_pretrain=16, n_train=8, n_test=6, pretrain_steps=2, steps=2,
                          pretrain_batch=4, batch_size=4))
def inflation(cfg: InflationConfig, run: Run) -> Result:
    video = {"frames": cfg.frames, "stride": 4}
    train, classes = generate("slowfast", cfg.n_train, 2 * run.seed, **video)
    test, _ = generate("slowfast", cfg.n_test, 2 * run.seed + 1, **video)
    x, y = train["frames"].to(run.device), train["labels"].to(run.device)
    xt, yt = test["frames"].to(run.device), test["labels"].to(run.device)
    stills, _ = generate("slowfast", cfg.n_pretrain, 2 * run.seed, frames=1, stride=4)
    images = stills["frames"][:, 0].to(run.device)  # (N, 3, H, W), labelled with their shape
    shapes = (stills["labels"] // 2).to(run.device)
    torch.manual_seed(run.seed)
    net2d = create_model(cfg.net, num_classes=len(classes) // 2, in_chans=3).to(run.device)
    untrained = create_model(cfg.net, num_classes=len(classes) // 2, in_chans=3).to(run.device)
    fit(net2d, images, shapes, steps=cfg.pretrain_steps, batch_size=cfg.pretrain_batch,
        lr=cfg.lr, seed=run.seed, inputs=image_input)
    shape_acc = accuracy(net2d, xt[:, 0], yt // 2, inputs=image_input)
    net3d = inflate(net2d, time_kernel=cfg.time_kernel).eval()
    still = image_input(xt[:64, 0])
    with torch.no_grad():
        static = net3d(still[:, :, None].expand(-1, -1, cfg.frames, -1, -1))
        logit_error = (static - net2d.eval()(still)).abs().max().item()
    acc = {}
    for name, start in (("from_inflated", net3d), ("from_scratch", inflate(untrained))):
        start.reset_classifier(len(classes))
        fit(start, x, y, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=run.seed)
        acc[name] = accuracy(start, xt, yt)
        run.log(f"{name}: test accuracy {acc[name]:.3f}")
    gain = 100 * (acc["from_inflated"] - acc["from_scratch"])
    return Result(
        metrics={"static_clip_logit_error": logit_error, "pretrained_2d_shape_accuracy": shape_acc,
                 "from_inflated_accuracy": acc["from_inflated"],
                 "from_scratch_accuracy": acc["from_scratch"], "gain_points": gain},
        checks=[Check.at_most("largest |3-D logit - 2-D logit| on static clips", logit_error,
                              1e-5),
                Check.above("fine-tuned from inflated minus 3-D from scratch, accuracy points",
                            gain, 0.0,
                            detail=f"{acc['from_inflated']:.3f} vs {acc['from_scratch']:.3f}")],
        headline=("static_clip_logit_error", "from_inflated_accuracy", "from_scratch_accuracy"),
        notes=[f"{cfg.steps} fine-tuning steps each; {len(classes)} classes, chance "
               f"{1 / len(classes):.3f}"],
    )
