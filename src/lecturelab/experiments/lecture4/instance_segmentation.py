"""l4.instance_segmentation - detection plus segmentation separates touching objects (lecture 4).

Semantic segmentation labels pixels, not objects: two touching objects of one class form one
blob, so counting the connected components of the semantic mask (4-connectivity, per class)
undercounts. The components are taken of the TRUE semantic mask, a perfect segmenter's output,
so every miscount is the method's and none the segmenter's. Against it, Mask R-CNN (He et al.
2017: Faster R-CNN with a mask head, `DetectorRecipe(masks=True)`) finds each instance, then
its mask. It counts the detections scoring at least a threshold (the one that counts best on
training scenes, from a fixed grid), after NMS across classes, and is scored by COCO mask AP50
(pycocotools, iou_type="segm"). Both ways of counting are `lecturelab.segmentation.instances`.
Scenes: data/shapes.py with touching=True (each object after the first touches an earlier one
of its class). Quick profile: 64-pixel scenes, the small recipe of
`lecturelab.detection.recipes` (7x7 RoIs for 14x14 masks), 1000 steps: under two minutes on one
CPU thread. Full profile: the recipes' paper scenes, recipe and two-stage schedule.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch
from matplotlib.figure import Figure
from torch import Tensor

from lecturelab.data import load_dataset
from lecturelab.data.shapes import CLASSES
from lecturelab.detection.evaluation import coco_evaluate
from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    PAPER_TRAIN_TWO_STAGE,
    QUICK_RECIPE,
    QUICK_TRAIN_TWO_STAGE,
    DetectorRecipe,
    faster_rcnn,
)
from lecturelab.detection.training import DetectorTrainConfig, predict_all, train_detector
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.segmentation.instances import (
    best_threshold,
    components,
    count_accuracy,
    count_components,
    count_instances,
    instance_indices,
    semantic_masks,
)


@dataclass(frozen=True)
class InstanceSegmentationConfig:
    size: int = 64  # image side in pixels
    n_train: int = 4000  # training scenes
    n_test: int = 200  # held-out scenes
    min_objects: int = 1  # fewest objects in a scene
    max_objects: int = 4  # most objects in a scene (all touching, of one class)
    recipe: DetectorRecipe = replace(QUICK_RECIPE, masks=True)  # Mask R-CNN, the small recipe
    train: DetectorTrainConfig = replace(QUICK_TRAIN_TWO_STAGE, steps=1000)  # Faster R-CNN's
    # ^ quick schedule, shorter: 75 s in all in a clean make demo. Counts right / mask AP50: 500
    #   steps 0.585 / 0.364 (at lr 8e-3 0.40 / 0.334), 1000 steps 0.735 / 0.544
    thresholds: tuple[float, ...] = tuple(i / 20 for i in range(4, 20))  # scores tried for
    # ^ counting (0.2 to 0.95); the one that counts best on `calibration` training scenes wins
    calibration: int = 200  # training scenes the threshold is chosen on


FULL = InstanceSegmentationConfig(
    size=PAPER_SCENES.size, n_train=PAPER_SCENES.n_train, n_test=PAPER_SCENES.n_test,
    max_objects=PAPER_SCENES.max_objects, recipe=replace(PAPER_RECIPE, masks=True),
    train=PAPER_TRAIN_TWO_STAGE)
SMOKE = InstanceSegmentationConfig(
    size=64, n_train=16, n_test=8,
    recipe=DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, representation=32, masks=True),
    train=DetectorTrainConfig(steps=3, batch_size=4, warmup_steps=1), calibration=8)


@experiment(
    "l4.instance_segmentation", lecture=4,
    claim="combine detection and semantic segmentation to separate overlapping objects",
    criterion="on scenes with touching same-class objects, counting instances by connected "
              "components of the semantic mask is wrong on at least 30% of images, while the "
              "mask-head detector counts right on at least 80% with mask AP50 at least 0.6",
    quick=InstanceSegmentationConfig(), full=FULL, smoke=SMOKE)
def instance_segmentation(cfg: InstanceSegmentationConfig, run: Run) -> Result:
    data = load_dataset("shapes", n_train=cfg.n_train, n_test=cfg.n_test, seed=run.seed,
                        size=cfg.size, min_objects=cfg.min_objects,
                        max_objects=cfg.max_objects, touching=True)
    images, targets = data.train.batch(range(cfg.n_train))
    test_images, test_targets = data.test.batch(range(cfg.n_test))
    truth = torch.tensor([len(t["labels"]) for t in test_targets])
    blobs = torch.tensor([count_components(s) for s in semantic_masks(test_targets)])

    torch.manual_seed(run.seed)
    model = faster_rcnn(cfg.recipe, cfg.size, len(CLASSES)).to(run.device)
    train_detector(model, images, targets, cfg.train, seed=run.seed, log=run.log)
    seen = predict_all(model.predict, images[:cfg.calibration], device=run.device)
    threshold = best_threshold(seen, torch.tensor([len(t["labels"]) for t in
                                                   targets[:cfg.calibration]]), cfg.thresholds)
    detections = predict_all(model.predict, test_images, device=run.device)
    found = torch.tensor([count_instances(d, threshold) for d in detections])
    segm = coco_evaluate(detections, test_targets, iou_type="segm",
                         image_size=(cfg.size, cfg.size))

    wrong_blobs = (blobs != truth).float().mean().item()
    right_detector = count_accuracy(detections, truth, threshold)
    run.log(f"connected components wrong on {wrong_blobs:.0%}; Mask R-CNN right on "
            f"{right_detector:.0%}, mask AP50 {segm['AP50']:.3f}")
    return Result(
        metrics={"components_wrong": wrong_blobs, "detector_right": right_detector,
                 "mask_AP50": segm["AP50"], "mask_AP": segm["AP"],
                 "mean_objects": truth.float().mean().item(),
                 "mean_components": blobs.float().mean().item(),
                 "mean_detections": found.float().mean().item(),
                 "score_threshold": threshold},
        checks=[Check.at_least("share of images where the connected components of the (true) "
                               "semantic mask miscount", wrong_blobs, 0.3,
                               detail=f"{len(truth)} images"),
                Check.at_least("share of images where Mask R-CNN counts right", right_detector,
                               0.8, detail=f"score >= {threshold}, chosen on "
                                           f"{len(seen)} training scenes"),
                Check.at_least("Mask R-CNN mask AP50", segm["AP50"], 0.6,
                               detail=f"mask AP {segm['AP']:.3f}")],
        figures={"masks": figure(test_images[:4], test_targets[:4], detections[:4], threshold)},
        headline=("components_wrong", "detector_right", "mask_AP50"),
    )


def figure(images: Tensor, targets: list[dict[str, Tensor]], detections: list[dict[str, Tensor]],
           threshold: float) -> Figure:
    """Per scene: the image, the connected components of its semantic mask, and the detector's
    instance masks, one colour each."""
    fig = Figure(figsize=(9, 3 * len(images)))
    axes = fig.subplots(len(images), 3, squeeze=False)
    for row, image, target, det in zip(axes, images, targets, detections, strict=True):
        blobs, n = components(semantic_masks([target])[0])
        keep = det["masks"][instance_indices(det, threshold)]  # (N, H, W)
        ids = torch.arange(len(keep) + 1)[:, None, None]
        background = torch.ones(1, *image.shape[-2:], dtype=torch.bool)
        instances = (ids * torch.cat([background, keep.bool()])).amax(0)  # (H, W)
        row[0].imshow(image.permute(1, 2, 0))
        row[0].set_title(f"true objects: {len(target['labels'])}", fontsize=8)
        row[1].imshow(blobs, cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        row[1].set_title(f"connected components: {n}", fontsize=8)
        row[2].imshow(instances, cmap="tab10", vmin=0, vmax=9, interpolation="nearest")
        row[2].set_title(f"Mask R-CNN instances: {len(keep)}", fontsize=8)
        for ax in row:
            ax.set_axis_off()
    return fig
