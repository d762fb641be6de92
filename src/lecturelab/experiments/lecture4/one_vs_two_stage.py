"""l4.one_vs_two_stage - Faster R-CNN, good accuracy at 5 fps; RetinaNet at 8 fps (lecture 4).

Ren et al. 2015 (Faster R-CNN, two stages) against Lin et al. 2017 (RetinaNet, one stage, focal
loss), built on the same backbone and FPN, trained on the same scenes for the same steps (the
quick profile gives each its own measured best schedule at those steps: Faster R-CNN lr 4e-3,
RetinaNet 1.6e-2 after a longer warm-up; the full one the same schedule; both are
l4.box_regression's and l4.faster_rcnn's in the same process), then timed on the same device
one image at a time, as frames per second are. The two detectors are timed in alternation and
each keeps its best round, so that a load change hits both.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure

from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    PAPER_TRAIN,
    QUICK_RECIPE,
    QUICK_SCENES,
    QUICK_TRAIN,
    QUICK_TRAIN_TWO_STAGE,
    DetectorRecipe,
    Scenes,
    evaluate,
    scene_tensors,
    trained,
)
from lecturelab.detection.training import DetectorTrainConfig, images_per_second
from lecturelab.lab import Check, Result, Run, experiment

DETECTORS = ("faster_rcnn", "retinanet")


@dataclass(frozen=True)
class OneVsTwoStageConfig:
    scenes: Scenes = QUICK_SCENES  # shapes scenes: size, training and held-out counts
    recipe: DetectorRecipe = QUICK_RECIPE  # shared backbone / FPN and both heads
    train: DetectorTrainConfig = QUICK_TRAIN  # RetinaNet's (l4.focal_loss's: shared)
    train_two_stage: DetectorTrainConfig = QUICK_TRAIN_TWO_STAGE  # Faster R-CNN's
    # ^ (l4.faster_rcnn's: shared): the same steps and scenes, each at its own lr
    timed_images: int = 50  # held-out images timed, one per forward pass
    rounds: int = 3  # alternating timing rounds; each detector keeps its best
    max_ap_gap: float = 0.05  # the one-stage AP may trail by at most this


FULL = OneVsTwoStageConfig(
    scenes=PAPER_SCENES, recipe=PAPER_RECIPE, train=PAPER_TRAIN, train_two_stage=PAPER_TRAIN,
    timed_images=500)
SMOKE_TRAIN = DetectorTrainConfig(steps=3, batch_size=4, warmup_steps=1)
SMOKE = OneVsTwoStageConfig(
    scenes=Scenes(size=64, n_train=16, n_test=8),
    recipe=DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, representation=32, head_convs=1),
    train=SMOKE_TRAIN, train_two_stage=SMOKE_TRAIN, timed_images=4, rounds=1)


@experiment(
    "l4.one_vs_two_stage", lecture=4, shares=("detectors",),
    claim="Faster R-CNN: good accuracy at 5 fps; RetinaNet (one stage): 8 fps",
    criterion="both detectors' inference images/s and AP on the same device, reported side by "
              "side; verdict: the one-stage detector is faster at AP within 0.05",
    quick=OneVsTwoStageConfig(), full=FULL, smoke=SMOKE)
def one_vs_two_stage(cfg: OneVsTwoStageConfig, run: Run) -> Result:
    _, _, images, targets = scene_tensors(cfg.scenes, run.seed)
    schedules = {"faster_rcnn": cfg.train_two_stage, "retinanet": cfg.train}
    fits = {k: trained(k, cfg.recipe, cfg.scenes, schedules[k], run.seed, run.device)
            for k in DETECTORS}
    ap = {k: evaluate(f.model, images, targets, device=run.device) for k, f in fits.items()}
    timed = images[:cfg.timed_images].to(run.device)
    speed = {k: 0.0 for k in DETECTORS}
    for _ in range(cfg.rounds):
        for k in DETECTORS:
            speed[k] = max(speed[k], images_per_second(fits[k].model.predict, timed))
    gap = ap["faster_rcnn"]["AP"] - ap["retinanet"]["AP"]
    for k in DETECTORS:
        run.log(f"{k}: {speed[k]:.1f} images/s, AP {ap[k]['AP']:.3f}, AP50 {ap[k]['AP50']:.3f}")
    return Result(
        metrics={**{f"images_per_s_{k}": v for k, v in speed.items()},
                 **{f"AP_{k}": v["AP"] for k, v in ap.items()},
                 **{f"AP50_{k}": v["AP50"] for k, v in ap.items()},
                 "speedup_one_stage": speed["retinanet"] / speed["faster_rcnn"],
                 "AP_gap_two_minus_one_stage": gap,
                 "train_steps_per_s": {k: f.steps_per_second for k, f in fits.items()},
                 "device": str(run.device)},
        checks=[Check.above("images/s of the one-stage detector (RetinaNet) over the two-stage "
                            "one's (Faster R-CNN)", speed["retinanet"] / speed["faster_rcnn"],
                            1.0, detail=f"{speed['retinanet']:.1f} vs "
                                        f"{speed['faster_rcnn']:.1f} images/s on {run.device}"),
                Check.at_most("AP of the two-stage detector minus the one-stage one's", gap,
                              cfg.max_ap_gap,
                              detail=f"AP {ap['faster_rcnn']['AP']:.3f} vs "
                                     f"{ap['retinanet']['AP']:.3f}")],
        figures={"side_by_side": figure(speed, ap)},
        headline=("images_per_s_retinanet", "images_per_s_faster_rcnn", "AP_retinanet",
                  "AP_faster_rcnn"),
    )


def figure(speed: dict[str, float], ap: dict[str, dict[str, float]]) -> Figure:
    """Images per second against AP, one point per detector."""
    fig = Figure(figsize=(5.5, 4))
    ax = fig.subplots()
    for k, colour in zip(DETECTORS, ("#2980b9", "#c0392b"), strict=True):
        ax.scatter(speed[k], ap[k]["AP"], s=80, color=colour)
        ax.annotate(k.replace("_", " "), (speed[k], ap[k]["AP"]), textcoords="offset points",
                    xytext=(6, 6))
    ax.set(xlabel="inference images / s (batch 1)", ylabel="COCO AP (held-out scenes)",
           title="one stage vs two stages, same backbone and device")
    return fig
