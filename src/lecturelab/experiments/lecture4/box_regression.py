"""l4.box_regression - one box by quadratic loss; many boxes need anchors (lecture 4).

The lecture's first detector: a CNN outputs a class and one box (x_c, y_c, w, h), trained by
cross-entropy and a quadratic (L2) loss. It works when every scene holds one object. With
several objects every one of them is an equally right answer, and the L2 minimiser is their
mean: the box lands between the objects. Here the same regressor is trained on multi-object
scenes with the L2 loss averaged over all the scene's objects (the expected loss when the
target is any one of them), and scored by its best-match IoU (its IoU with the closest true
box, the most lenient reading). Against it, an anchor-based detector - RetinaNet (Lin et al.
2017) with the small recipe of `lecturelab.detection.recipes` - classifies discretised boxes.
The regressor, its loss and the score are `lecturelab.detection.box_regressor`. Quick profile:
the 64-pixel scenes of the detector recipes; the regressors train in about 8 s each, RetinaNet
in about 40 s (its focal model is shared with the other lecture-4 experiments of the same run).
Full profile: the recipes' PAPER_SCENES, PAPER_RECIPE and PAPER_TRAIN (the one-object scenes at
the same size), so its RetinaNet is again the other full experiments'.
"""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import Tensor, nn

from lecturelab.data import load_dataset
from lecturelab.data.shapes import CLASSES
from lecturelab.detection.box_regressor import (
    best_match_iou,
    regressed_boxes,
    train_box_regressor,
)
from lecturelab.detection.evaluation import coco_evaluate
from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    PAPER_TRAIN,
    QUICK_RECIPE,
    QUICK_SCENES,
    QUICK_TRAIN,
    DetectorRecipe,
    Scenes,
    scene_tensors,
    trained,
)
from lecturelab.detection.training import DetectorTrainConfig, Targets, predict_all
from lecturelab.lab import Check, Result, Run, experiment


@dataclass(frozen=True)
class BoxRegressionConfig:
    scenes: Scenes = QUICK_SCENES  # multi-object scenes (the detector recipes' quick scenes)
    single_train: int = 4000  # one-object training scenes (fewer overfit the regressor)
    single_test: int = 100  # one-object held-out scenes
    width: int = 16  # channels of the regressor's first conv (doubled at each of 4 convs);
    # ^ 16: one-object mean IoU 0.729 (seed 0) against 0.731 at 32, in 45% of the CPU time
    steps: int = 400  # regressor optimiser steps (Adam, one-cycle schedule) per kind of scene
    batch_size: int = 32  # scenes per regressor step
    lr: float = 3e-3  # regressor peak learning rate
    box_weight: float = 100.0  # weight of the L2 box loss (coordinates / image side) against
    # ^ the class cross-entropy: 100 = the L2 in units of a tenth of the image side
    recipe: DetectorRecipe = QUICK_RECIPE  # the anchor-based detector's size
    detector_train: DetectorTrainConfig = QUICK_TRAIN  # RetinaNet schedule


FULL = BoxRegressionConfig(scenes=PAPER_SCENES, single_train=20_000, single_test=1000, width=64,
                           steps=10_000, recipe=PAPER_RECIPE, detector_train=PAPER_TRAIN)
SMOKE = BoxRegressionConfig(scenes=Scenes(size=64, n_train=16, n_test=8), single_train=16,
                            single_test=8, width=8, steps=3, batch_size=4,
                            recipe=DetectorRecipe(widths=(8, 16, 32), fpn_channels=16,
                                                  head_convs=1),
                            detector_train=DetectorTrainConfig(steps=3, batch_size=4,
                                                               warmup_steps=1))


@experiment(
    "l4.box_regression", lecture=4, shares=("detectors",),
    claim="class + box (x_c, y_c, h, w) by quadratic loss; multiple targets need classification "
          "over discretised boxes (anchors)",
    criterion="a CNN regressing one box by L2 reaches mean IoU at least 0.7 on one-object "
              "scenes; on multi-object scenes the same direct regression reaches mean "
              "best-match IoU at most 0.4 while an anchor-based detector reaches AP50 at least "
              "0.8",
    quick=BoxRegressionConfig(), full=FULL, smoke=SMOKE)
def box_regression(cfg: BoxRegressionConfig, run: Run) -> Result:
    s = cfg.scenes
    single = load_dataset("shapes", n_train=cfg.single_train, n_test=cfg.single_test,
                          seed=run.seed, size=s.size, min_objects=1, max_objects=1, style=s.style)
    x1, t1 = single.train.batch(range(cfg.single_train))
    x1_test, t1_test = single.test.batch(range(cfg.single_test))
    one = train_regressor(x1, t1, cfg, run)
    iou_one = best_match_iou(regressed_boxes(one, x1_test, run.device), t1_test)

    xm, tm, xm_test, tm_test = scene_tensors(s, run.seed)
    many = train_regressor(xm, tm, cfg, run)
    multi = [i for i, t in enumerate(tm_test) if len(t["labels"]) >= 2]
    x_multi, t_multi = xm_test[multi], [tm_test[i] for i in multi]
    multi_boxes = regressed_boxes(many, x_multi, run.device)
    iou_many = best_match_iou(multi_boxes, t_multi)

    fit = trained("retinanet", cfg.recipe, s, cfg.detector_train, run.seed, run.device)
    detections = predict_all(fit.model.predict, x_multi, device=run.device)
    ap = coco_evaluate(detections, t_multi, image_size=(s.size, s.size))
    m1, mm = iou_one.mean().item(), iou_many.mean().item()
    run.log(f"one object: mean IoU {m1:.3f}; {len(multi)} multi-object scenes: best-match IoU "
            f"{mm:.3f}, RetinaNet AP50 {ap['AP50']:.3f} (AP {ap['AP']:.3f})")
    return Result(
        metrics={"iou_one_object": m1, "iou_one_object_std": iou_one.std().item(),
                 "best_match_iou_multi": mm, "best_match_iou_multi_std": iou_many.std().item(),
                 "retinanet_AP50_multi": ap["AP50"], "retinanet_AP_multi": ap["AP"],
                 "multi_object_scenes": len(multi), "retinanet_train_seconds": fit.seconds},
        checks=[Check.at_least("L2 box regression: mean IoU on one-object scenes", m1, 0.7,
                               detail=f"{len(t1_test)} scenes"),
                Check.at_most("the same regression on multi-object scenes: mean best-match IoU",
                              mm, 0.4, detail=f"{len(multi)} scenes"),
                Check.at_least("anchor-based detector (RetinaNet) AP50 on those scenes",
                               ap["AP50"], 0.8, detail=f"AP {ap['AP']:.3f}")],
        figures={"boxes": figure(x1_test[:3], regressed_boxes(one, x1_test[:3], run.device),
                                 x_multi[:3], multi_boxes[:3], detections[:3])},
        headline=("iou_one_object", "best_match_iou_multi", "retinanet_AP50_multi"),
    )


def train_regressor(images: Tensor, targets: Targets, cfg: BoxRegressionConfig,
                    run: Run) -> nn.Module:
    """The lecture's class + box regressor trained on the scenes with the config's schedule."""
    return train_box_regressor(images, targets, num_classes=len(CLASSES), width=cfg.width,
                               steps=cfg.steps, batch_size=cfg.batch_size, lr=cfg.lr,
                               box_weight=cfg.box_weight, seed=run.seed, device=run.device)


def figure(single: Tensor, single_boxes: Tensor, multi: Tensor, multi_boxes: Tensor,
           detections: list[dict[str, Tensor]]) -> Figure:
    """Top: the regressed box on one-object scenes. Bottom: the regressed box (red) and the
    RetinaNet detections scoring >= 0.3 (yellow) on multi-object scenes."""
    fig = Figure(figsize=(9, 6))
    axes = fig.subplots(2, 3)
    for ax, image, box in zip(axes[0], single, single_boxes, strict=False):
        ax.imshow(image.permute(1, 2, 0).cpu())
        ax.add_patch(patch(box.tolist(), "red"))
    for ax, image, box, det in zip(axes[1], multi, multi_boxes, detections, strict=False):
        ax.imshow(image.permute(1, 2, 0).cpu())
        for b in det["boxes"][det["scores"] >= 0.3].tolist():
            ax.add_patch(patch(b, "yellow"))
        ax.add_patch(patch(box.tolist(), "red"))
    for ax in axes.flat:
        ax.set_axis_off()
    fig.suptitle("L2 box regression (red) vs anchor-based RetinaNet (yellow)")
    return fig


def patch(box: list[float], colour: str) -> Rectangle:
    return Rectangle((box[0], box[1]), box[2] - box[0], box[3] - box[1], fill=False,
                     edgecolor=colour, linewidth=2)
