"""l4.slowfast - two branches: a low frame rate for semantics, a high frame rate for motion
(lecture 4; Feichtenhofer et al. 2019, "SlowFast networks for video recognition").

`motion` slowfast videos (data/motion/): the class is the shape (square, triangle, star: seen
at any frame rate) and whether it vibrates with a period of exactly alpha frames - the Slow
pathway, reading every alpha-th frame, sees the vibration at one phase only, i.e. not at all.
Every object also drifts slowly, so motion alone says nothing. Objects are large (0.5-0.7 of
the side) and vibrate by 3 px: at 2 px and 0.35-0.55 of the side neither net learnt the shape,
nor SlowFast the vibration, in 500 steps (gain 0.0 points). SlowFast (motion/slowfast.py:
beta = 1/8 of the channels, alpha = 4, time-strided lateral connections added to the Slow
features) and Slow-only (the same Slow pathway alone) train alike; the Fast pathway's cost is
the difference of their counted multiply-adds.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lecturelab.data.motion import generate
from lecturelab.experiments.lecture4.action_recognition import frame_strip
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.motion.fitting import accuracy, fit
from lecturelab.motion.slowfast import SlowFast, count_macs


@dataclass(frozen=True)
class SlowFastConfig:
    size: int = 32  # frame side in pixels
    frames: int = 8  # frames per clip (the Slow pathway reads frames / alpha)
    alpha: int = 4  # Slow frame stride = vibration period, frames
    vibration: float = 3.0  # amplitude of the vibration, pixels
    min_scale: float = 0.5  # smallest object diameter, fraction of the side
    max_scale: float = 0.7  # largest object diameter, fraction of the side
    beta: float = 0.125  # Fast channels / Slow channels
    n_train: int = 1000  # training clips
    n_test: int = 300  # held-out clips
    widths: tuple[int, ...] = (16, 32, 64)  # Slow channels of the stem/stage 1, 2, 3
    steps: int = 400  # AdamW steps per net
    batch_size: int = 32  # clips per step
    lr: float = 4e-3  # peak learning rate of the one-cycle schedule


QUICK = SlowFastConfig()


def clip_config(cfg: SlowFastConfig) -> dict[str, object]:
    """The `motion` slowfast fields (VideoConfig) of a profile: the vibration's period is
    the Slow pathway's frame stride alpha."""
    return {"size": cfg.size, "frames": cfg.frames, "stride": cfg.alpha,
            "vibration": cfg.vibration, "min_scale": cfg.min_scale, "max_scale": cfg.max_scale}


@experiment(
    "l4.slowfast", lecture=4,
    claim="two branches: low frame rate for semantics, high frame rate for motion",
    criterion="on videos whose label combines shape (seen at any frame rate) and a fast motion "
              "cue that the slow pathway's frame rate cannot resolve (for example a vibration "
              "whose period equals the slow pathway's frame stride), SlowFast beats slow-only "
              "by at least 5 points at equal training steps, with the fast pathway adding at "
              "most 20% of the multiply-adds",
    quick=QUICK,
    full=SlowFastConfig(size=64, frames=32, alpha=8, n_train=20000, n_test=2000,
                        widths=(64, 128, 256), steps=5000, batch_size=64, lr=1e-3),
    smoke=SlowFastConfig(frames=8, n_train=12, n_test=6, widths=(8, 8, 16), steps=2,
                         batch_size=4))
def slowfast(cfg: SlowFastConfig, run: Run) -> Result:
    clips = clip_config(cfg)
    train, classes = generate("slowfast", cfg.n_train, 2 * run.seed, **clips)
    test, _ = generate("slowfast", cfg.n_test, 2 * run.seed + 1, **clips)
    x, y = train["frames"].to(run.device), train["labels"].to(run.device)
    xt, yt = test["frames"].to(run.device), test["labels"].to(run.device)
    acc, macs = {}, {}
    for name, fast in (("slow_only", False), ("slowfast", True)):
        torch.manual_seed(run.seed)
        net = SlowFast(len(classes), alpha=cfg.alpha, beta=cfg.beta, widths=cfg.widths,
                       fast=fast).to(run.device)
        macs[name] = count_macs(net, (3, cfg.frames, cfg.size, cfg.size))
        fit(net, x, y, steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr, seed=run.seed)
        acc[name] = accuracy(net, xt, yt)
        run.log(f"{name}: test accuracy {acc[name]:.3f}, {macs[name] / 1e6:.1f} M MACs")
    gain = 100 * (acc["slowfast"] - acc["slow_only"])
    extra = macs["slowfast"] / macs["slow_only"] - 1
    return Result(
        metrics={"slow_only_accuracy": acc["slow_only"], "slowfast_accuracy": acc["slowfast"],
                 "gain_points": gain, "slow_only_macs": macs["slow_only"],
                 "slowfast_macs": macs["slowfast"], "fast_pathway_extra_macs": extra},
        checks=[Check.at_least("SlowFast minus Slow-only accuracy, points", gain, 5.0,
                               detail=f"{acc['slowfast']:.3f} vs {acc['slow_only']:.3f}"),
                Check.at_most("multiply-adds the Fast pathway adds (fraction of Slow-only)",
                              extra, 0.2)],
        figures={"clips": frame_strip(test["frames"][:6], test["labels"][:6], classes)},
        headline=("slow_only_accuracy", "slowfast_accuracy", "fast_pathway_extra_macs"),
        notes=[f"{len(classes)} classes (chance {1 / len(classes):.3f}); Slow-only can tell "
               f"the shape but not the vibration, so it is capped near 0.5"],
    )
