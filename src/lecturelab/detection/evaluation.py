"""COCO average precision, and the IoU and GIoU of boxes (lecture 4, "Metrics and benchmarks").

`coco_evaluate` is a thin adapter from our per-image tensors to COCO dicts and pycocotools'
COCOeval (Lin et al. 2014, the official COCO evaluation: AP averaged over IoU thresholds
0.50:0.05:0.95, at most 100 detections per image, small / medium / large areas below 32^2,
96^2 and above); headline numbers are never hand-rolled. Detections are made into COCO results
as `COCO.loadRes` does: a box's area is w * h for "bbox", a mask's pixel count for "segm".
Values are pycocotools': -1 where no ground truth makes a number defined (e.g. no small objects).

`box_iou` and `generalized_box_iou` are written out in torch, so they are differentiable:
intersection over union, and GIoU = IoU - |C \\ (A u B)| / |C| with C the smallest enclosing box
(Rezatofighi et al. 2019, "Generalized intersection over union", Alg. 1). The IoU's clamp at
zero overlap (the max in the notes) makes its gradient exactly zero for disjoint boxes; the
enclosing-box term of GIoU keeps a gradient there.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from typing import Any

import torch
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from torch import Tensor

from lecturelab.data.coco import instance_annotations

METRICS = ("AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large")


def coco_evaluate(predictions: Sequence[dict[str, Tensor]], targets: Sequence[dict[str, Tensor]],
                  *, iou_type: str = "bbox", image_size: tuple[int, int]) -> dict[str, float]:
    """COCO AP, AP50, AP75 and AP per object size of per-image predictions against targets.

    predictions: per image {"boxes" (N, 4) xyxy, "scores" (N,), "labels" (N,), and for "segm"
    "masks" (N, H, W) bool or probabilities (> 0.5 is inside)}; targets: per image {"boxes",
    "labels", "masks" (needed for "segm")}. Images without objects or detections are valid.
    """
    if iou_type not in ("bbox", "segm"):
        raise ValueError(f"iou_type must be 'bbox' or 'segm', got {iou_type!r}")
    if len(predictions) != len(targets):
        raise ValueError(f"need one prediction per target image, got {len(predictions)} "
                         f"predictions for {len(targets)} images")
    segm = iou_type == "segm"
    labels = {int(c) for item in (*predictions, *targets) for c in item["labels"].tolist()}
    gt = _coco(targets, image_size, sorted(labels), masks=True, what="targets", need=segm)
    dt = _coco(predictions, image_size, sorted(labels), masks=segm, what="predictions",
               need=segm)
    evaluator = COCOeval(gt, dt, iou_type)
    with contextlib.redirect_stdout(io.StringIO()):
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return {name: float(v) for name, v in zip(METRICS, evaluator.stats, strict=False)}


def _coco(items: Sequence[dict[str, Tensor]], image_size: tuple[int, int], labels: list[int],
          *, masks: bool, what: str, need: bool) -> COCO:
    """A pycocotools COCO object of per-image instances; scores are kept when present."""
    h, w = image_size
    annotations: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        boxes = item["boxes"].detach().float().cpu().reshape(-1, 4)
        item_masks = item.get("masks")
        if need and item_masks is None:
            raise ValueError(f"{what}[{i}] needs 'masks' for iou_type='segm'")
        if masks and item_masks is not None:
            item_masks = item_masks.detach().cpu()
            item_masks = item_masks > 0.5 if item_masks.is_floating_point() else item_masks.bool()
            if tuple(item_masks.shape) != (len(boxes), h, w):
                raise ValueError(f"{what}[{i}]['masks'] must have shape {(len(boxes), h, w)}, "
                                 f"got {tuple(item_masks.shape)}")
        anns = instance_annotations(i + 1, boxes, item["labels"].cpu().reshape(-1),
                                    item_masks if masks else None)
        for ann, score in zip(anns, item.get("scores", torch.ones(len(anns))).tolist(),
                              strict=True):
            ann["score"] = score
        annotations += anns
    for k, ann in enumerate(annotations):
        ann["id"] = k + 1
    coco = COCO()
    coco.dataset = {"images": [{"id": i + 1, "height": h, "width": w} for i in range(len(items))],
                    "annotations": annotations,
                    "categories": [{"id": c, "name": str(c)} for c in labels]}
    with contextlib.redirect_stdout(io.StringIO()):
        coco.createIndex()
    return coco


def box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise IoU (N, M) of xyxy boxes (N, 4) and (M, 4); differentiable."""
    inter, union = _inter_union(boxes1, boxes2)
    return inter / union


def generalized_box_iou(boxes1: Tensor, boxes2: Tensor) -> Tensor:
    """Pairwise GIoU (N, M) of xyxy boxes: IoU minus the share of the enclosing box C that
    neither box covers; in [-1, 1], and it still moves when the boxes are disjoint."""
    inter, union = _inter_union(boxes1, boxes2)
    lo = torch.minimum(boxes1[:, None, :2], boxes2[None, :, :2])  # (N, M, 2)
    hi = torch.maximum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    hull = (hi - lo).prod(-1)
    return inter / union - (hull - union) / hull


def _inter_union(boxes1: Tensor, boxes2: Tensor) -> tuple[Tensor, Tensor]:
    for name, b in (("boxes1", boxes1), ("boxes2", boxes2)):
        if b.dim() != 2 or b.shape[-1] != 4:
            raise ValueError(f"{name} must have shape (N, 4), got {tuple(b.shape)}")
    area1 = (boxes1[:, 2:] - boxes1[:, :2]).prod(-1)
    area2 = (boxes2[:, 2:] - boxes2[:, :2]).prod(-1)
    lo = torch.maximum(boxes1[:, None, :2], boxes2[None, :, :2])  # (N, M, 2)
    hi = torch.minimum(boxes1[:, None, 2:], boxes2[None, :, 2:])
    inter = (hi - lo).clamp(min=0).prod(-1)  # the max(0, .) that stops gradients
    return inter, area1[:, None] + area2[None, :] - inter
