"""l4.faster_rcnn - a two-stage detector: anchors, objectness, top-K proposals, second stage.

Ren et al. 2015, "Faster R-CNN" (Sec. 3; recall of the top proposals at IoU 0.5 as in their
Fig. 4 / Table 2 analysis), with an FPN (Lin et al. 2017) on the shapes scenes. Quick profile:
the small recipe of `lecturelab.detection.recipes` (64-pixel scenes, TinyResNet); full profile:
a zoo ResNet-50, 256-pixel scenes and paper-like proposal and RoI counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lecturelab.data.shapes import CLASSES
from lecturelab.detection.recipes import (
    PAPER_RECIPE,
    PAPER_SCENES,
    PAPER_TRAIN_TWO_STAGE,
    QUICK_RECIPE,
    QUICK_SCENES,
    QUICK_TRAIN_TWO_STAGE,
    DetectorRecipe,
    Scenes,
    evaluate,
    scene_tensors,
    trained,
)
from lecturelab.detection.reference import trained_reference
from lecturelab.detection.training import DetectorTrainConfig, predict_all, proposal_recall
from lecturelab.lab import Check, Result, Run, experiment


@dataclass(frozen=True)
class FasterRCNNExperimentConfig:
    scenes: Scenes = QUICK_SCENES  # shapes scenes: size, training and held-out counts
    recipe: DetectorRecipe = QUICK_RECIPE  # detector size and sampling settings
    train: DetectorTrainConfig = QUICK_TRAIN_TWO_STAGE  # optimiser schedule
    top_k: int = 100  # proposals per image counted in the recall
    recall_iou: float = 0.5  # IoU at which a proposal recalls an object
    compare_torchvision: bool = False  # also train torchvision's Faster R-CNN (the full clause)


FULL = FasterRCNNExperimentConfig(
    scenes=PAPER_SCENES, recipe=PAPER_RECIPE, train=PAPER_TRAIN_TWO_STAGE, compare_torchvision=True)
SMOKE = FasterRCNNExperimentConfig(
    scenes=Scenes(size=64, n_train=16, n_test=8),
    recipe=DetectorRecipe(widths=(8, 16, 32), fpn_channels=16, representation=32),
    train=DetectorTrainConfig(steps=3, batch_size=4, warmup_steps=1), compare_torchvision=True)


@experiment(
    "l4.faster_rcnn", lecture=4, shares=("detectors",),
    claim="a two-stage detector: anchors, objectness, top-K proposals, then a second stage",
    criterion="quick: on held-out shapes, the region proposals' recall at IoU 0.5 (top 100 per "
              "image) is at least 0.9 and the detector's AP50 at least 0.5; *full*: COCO AP "
              "(pycocotools) within 0.03 of torchvision's Faster R-CNN trained on the same "
              "data, backbone size and schedule, or better",
    quick=FasterRCNNExperimentConfig(), full=FULL, smoke=SMOKE)
def faster_rcnn(cfg: FasterRCNNExperimentConfig, run: Run) -> Result:
    fit = trained("faster_rcnn", cfg.recipe, cfg.scenes, cfg.train, run.seed, run.device)
    _, _, images, targets = scene_tensors(cfg.scenes, run.seed)
    proposals = predict_all(fit.model.propose, images, device=run.device)
    recall = proposal_recall(proposals, targets, iou=cfg.recall_iou, top_k=cfg.top_k)
    ap = evaluate(fit.model, images, targets, device=run.device)
    run.log(f"trained {cfg.train.steps} steps in {fit.seconds:.1f} s "
            f"({fit.steps_per_second:.2f} steps/s); recall@{cfg.top_k} {recall:.3f}, "
            f"AP {ap['AP']:.3f}, AP50 {ap['AP50']:.3f}")
    metrics = {"proposal_recall": recall, **{k: ap[k] for k in ("AP", "AP50", "AP75")},
               "proposals_per_image": sum(len(p) for p in proposals) / len(proposals),
               "objects": sum(len(t["boxes"]) for t in targets), "train_seconds": fit.seconds,
               "train_steps_per_s": fit.steps_per_second, "final_loss": fit.final_loss}
    checks = [Check.at_least(f"proposal recall at IoU {cfg.recall_iou} (top {cfg.top_k})",
                             recall, 0.9),
              Check.at_least("detector AP50", ap["AP50"], 0.5, detail=f"AP {ap['AP']:.3f}")]
    if cfg.compare_torchvision:
        reference = trained_reference("faster_rcnn", cfg.recipe, cfg.scenes, cfg.train, run.seed,
                                      run.device)
        ap_tv = evaluate(reference.model, images, targets, device=run.device)["AP"]
        metrics |= {"AP_torchvision": ap_tv, "train_seconds_torchvision": reference.seconds}
        checks.append(Check.at_least("full: COCO AP minus torchvision's Faster R-CNN's",
                                     ap["AP"] - ap_tv, -0.03,
                                     detail=f"AP {ap['AP']:.3f} vs torchvision {ap_tv:.3f}"))
    return Result(
        metrics=metrics,
        checks=checks,
        figures={"detections": detections_figure(fit.model, images[:6], proposals[:6], run)},
        headline=("proposal_recall", "AP50", "AP"),
    )


@torch.no_grad()
def detections_figure(model: torch.nn.Module, images: torch.Tensor,
                      proposals: list[torch.Tensor], run: Run) -> Figure:
    """Top-10 proposals (thin) and detections scoring >= 0.5 (thick) on held-out scenes."""
    detections = predict_all(model.predict, images, device=run.device)
    fig = Figure(figsize=(9, 6.6), layout="constrained")
    for ax, image, props, det in zip(fig.subplots(2, 3).flat, images, proposals, detections,
                                     strict=True):
        ax.imshow(image.permute(1, 2, 0).cpu())
        for box in props[:10].tolist():
            ax.add_patch(box_patch(box, "white", 0.6))
        for box, score, label in zip(det["boxes"].tolist(), det["scores"].tolist(),
                                     det["labels"].tolist(), strict=True):
            if score >= 0.5:
                ax.add_patch(box_patch(box, "yellow", 2.0))
                ax.text(box[0], box[1] - 1, f"{CLASSES[label - 1]} {score:.2f}", color="yellow",
                        fontsize=8)
        ax.set_axis_off()
    fig.suptitle("Faster R-CNN on held-out scenes: top-10 proposals (white), detections (yellow)")
    return fig


def box_patch(box: list[float], colour: str, width: float) -> Rectangle:
    return Rectangle((box[0], box[1]), box[2] - box[0], box[3] - box[1], fill=False,
                     edgecolor=colour, linewidth=width)
