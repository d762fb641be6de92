"""l4.segmentation_metrics - pixel accuracy would be foolish; IoU is not differentiable (lecture 4).

Two measurements. (1) A predictor that calls every pixel background, scored on the l4.unet test
scenes by pixel accuracy and by PASCAL VOC mean IoU (Everingham et al. 2010; background counted
as a class). (2) The gradient of a predicted box's IoU and GIoU (Rezatofighi et al. 2019,
"Generalized intersection over union", Sec. 3) with respect to its coordinates, by autograd
through detection/evaluation.py, over random disjoint pairs (separated by a gap of at least one
pixel) and along a box sliding past its target.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data.shapes import CLASSES, ShapesConfig, ShapesDataset
from lecturelab.detection.evaluation import box_iou, generalized_box_iou
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.segmentation.metrics import mean_iou, pixel_accuracy


@dataclass(frozen=True)
class SegmentationMetricsConfig:
    size: int = 48  # image side in pixels (the l4.unet scenes)
    max_objects: int = 2  # each scene has 1..max_objects objects
    min_scale: float = 0.3  # smallest object diameter, fraction of the side
    max_scale: float = 0.55  # largest object diameter, fraction of the side
    n_scenes: int = 256  # scenes the all-background predictor is scored on
    pairs: int = 1000  # random disjoint (prediction, target) box pairs
    offsets: int = 121  # positions of the sliding box in the figure


FULL = SegmentationMetricsConfig(n_scenes=5000, pairs=100000)
SMOKE = SegmentationMetricsConfig(n_scenes=8, pairs=20, offsets=11)


@experiment(
    "l4.segmentation_metrics", lecture=4,
    claim="pixel-wise accuracy would be foolish; IoU is not differentiable",
    criterion="an all-background predictor scores pixel accuracy at least 0.85 and mIoU at most "
              "0.15; the IoU gradient with respect to box coordinates is exactly zero for "
              "disjoint boxes, GIoU's is not",
    quick=SegmentationMetricsConfig(), full=FULL, smoke=SMOKE)
def segmentation_metrics(cfg: SegmentationMetricsConfig, run: Run) -> Result:
    scenes = ShapesConfig(size=cfg.size, min_objects=1, max_objects=cfg.max_objects,
                          min_scale=cfg.min_scale, max_scale=cfg.max_scale)
    _, truth = ShapesDataset(cfg.n_scenes, scenes, seed=2 * run.seed + 1).semantic_batch(
        range(cfg.n_scenes))
    background = torch.zeros_like(truth)
    accuracy = pixel_accuracy(background, truth)
    miou = mean_iou(background, truth, len(CLASSES) + 1)
    pred, target = disjoint_pairs(cfg.pairs, torch.Generator().manual_seed(run.seed))
    grads = coordinate_gradients(pred, target)
    iou_zero = int((grads["iou"] == 0).all(1).sum())
    giou_moving = int((grads["giou"] != 0).any(1).sum())
    run.log(f"all-background: pixel accuracy {accuracy:.3f}, mIoU {miou:.3f}")
    return Result(
        metrics={"background_pixel_accuracy": accuracy, "background_miou": miou,
                 "disjoint_pairs": cfg.pairs, "iou_gradient_zero": iou_zero,
                 "giou_gradient_nonzero": giou_moving,
                 "giou_gradient_min_norm": float(grads["giou"].norm(dim=1).min())},
        checks=[Check.at_least("all-background pixel accuracy", accuracy, 0.85),
                Check.at_most("all-background mIoU", miou, 0.15),
                Check.equal("disjoint box pairs whose IoU gradient is exactly zero", iou_zero,
                            len(pred), detail=f"of {len(pred)} pairs"),
                Check.equal("disjoint box pairs whose GIoU gradient is not zero", giou_moving,
                            len(pred), detail=f"of {len(pred)} pairs")],
        figures={"iou_giou_gradients": sliding_figure(cfg)},
        headline=("background_pixel_accuracy", "background_miou", "iou_gradient_zero",
                  "giou_gradient_nonzero"),
    )


def disjoint_pairs(n: int, gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """n box pairs (n, 4) xyxy in a 100 x 100 frame, each pair separated by a gap >= 1 along x
    or y."""
    lo = torch.rand(n, 2, generator=gen) * 40  # target in [0, 60]^2
    target = torch.cat([lo, lo + 5 + torch.rand(n, 2, generator=gen) * 15], 1)
    axis = torch.randint(0, 2, (n,), generator=gen)  # the axis that separates them
    start = target[torch.arange(n), axis + 2] + 1 + torch.rand(n, generator=gen) * 10
    pred_lo = torch.rand(n, 2, generator=gen) * 60
    pred_lo[torch.arange(n), axis] = start
    pred = torch.cat([pred_lo, pred_lo + 5 + torch.rand(n, 2, generator=gen) * 15], 1)
    return pred, target


def coordinate_gradients(pred: torch.Tensor, target: torch.Tensor) -> dict[str, torch.Tensor]:
    """d IoU / d pred and d GIoU / d pred, (n, 4) each, for paired boxes."""
    grads = {}
    for name, fn in (("iou", box_iou), ("giou", generalized_box_iou)):
        p = pred.clone().requires_grad_(True)
        torch.vmap(lambda a, b, fn=fn: fn(a[None], b[None])[0, 0])(p, target).sum().backward()
        grads[name] = p.grad
    return grads


def sliding_figure(cfg: SegmentationMetricsConfig) -> Figure:
    """IoU and GIoU of a 20 x 20 box sliding along x past a 20 x 20 target, and d/dx of both."""
    target = torch.tensor([[40.0, 40.0, 60.0, 60.0]])
    shift = torch.linspace(-50, 50, cfg.offsets)
    pred = torch.stack([40 + shift, torch.full_like(shift, 44), 60 + shift,
                        torch.full_like(shift, 64)], 1).requires_grad_(True)
    fig = Figure(figsize=(10, 3.8), layout="constrained")
    values, slopes = fig.subplots(1, 2)
    for name, fn in (("IoU", box_iou), ("GIoU", generalized_box_iou)):
        v = fn(pred, target)[:, 0]
        (dx,) = torch.autograd.grad(v.sum(), pred)  # rows independent: per-box gradients
        values.plot(shift, v.detach(), label=name)
        slopes.plot(shift, (dx[:, 0] + dx[:, 2]).detach(), label=f"d{name}/dx")
    for ax, title in ((values, "value"), (slopes, "gradient w.r.t. the box's x position")):
        ax.axvspan(-50, -20, color="0.9")
        ax.axvspan(20, 50, color="0.9")
        ax.set_xlabel("horizontal offset of the predicted box (px); grey: disjoint")
        ax.set_title(title)
        ax.legend()
    return fig
