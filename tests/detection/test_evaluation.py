"""COCO evaluation against pycocotools called directly, and IoU / GIoU against torchvision."""

import contextlib
import io

import numpy as np
import pytest
import torch
import torchvision.ops as ops
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

from lecturelab.data.coco import encode_masks
from lecturelab.data.shapes import ShapesConfig, ShapesDataset
from lecturelab.detection.evaluation import (
    METRICS,
    box_iou,
    coco_evaluate,
    generalized_box_iou,
)

SIZE = (48, 48)


def _random_boxes(n, gen):
    lo = torch.rand(n, 2, generator=gen) * 30
    return torch.cat([lo, lo + 2 + torch.rand(n, 2, generator=gen) * 16], 1)


def _reference(predictions, targets, iou_type):
    """pycocotools the documented way: a ground-truth COCO, detections through loadRes."""
    images = [{"id": i + 1, "height": SIZE[0], "width": SIZE[1]} for i in range(len(targets))]
    anns, dets = [], []
    for i, (p, t) in enumerate(zip(predictions, targets, strict=True)):
        for box, label, mask in zip(t["boxes"].tolist(), t["labels"].tolist(), t["masks"],
                                    strict=True):
            x1, y1, x2, y2 = box
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": label,
                         "bbox": [x1, y1, x2 - x1, y2 - y1], "area": float(mask.sum()),
                         "iscrowd": 0, "segmentation": encode_masks(mask[None])[0]})
        for k, (box, label, score) in enumerate(zip(p["boxes"].tolist(), p["labels"].tolist(),
                                                     p["scores"].tolist(), strict=True)):
            x1, y1, x2, y2 = box
            det = {"image_id": i + 1, "category_id": label, "score": score}
            if iou_type == "bbox":
                det["bbox"] = [x1, y1, x2 - x1, y2 - y1]
            else:
                det["segmentation"] = encode_masks(p["masks"][k:k + 1])[0]
            dets.append(det)
    labels = sorted({a["category_id"] for a in anns} | {d["category_id"] for d in dets})
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns,
                      "categories": [{"id": c} for c in labels]}
        gt.createIndex()
        evaluator = COCOeval(gt, gt.loadRes(dets), iou_type)
        evaluator.evaluate()
        evaluator.accumulate()
        evaluator.summarize()
    return evaluator.stats[:6].tolist()


def _noisy(targets, gen, *, keep=0.8, extra=2):
    """Predictions: each object kept with probability `keep`, its box jittered, plus false
    positives; random scores and sometimes a wrong label."""
    predictions = []
    for t in targets:
        kept = torch.rand(len(t["labels"]), generator=gen) < keep
        boxes = t["boxes"][kept] + torch.randn(int(kept.sum()), 4, generator=gen) * 1.5
        labels = t["labels"][kept].clone()
        flip = torch.rand(len(labels), generator=gen) < 0.1
        labels[flip] = labels[flip] % 5 + 1
        masks = t["masks"][kept].roll(int(torch.randint(-1, 2, (1,), generator=gen)), -1)
        n = torch.randint(0, extra + 1, (1,), generator=gen).item()
        boxes = torch.cat([boxes, _random_boxes(n, gen)])
        labels = torch.cat([labels, torch.randint(1, 6, (n,), generator=gen)])
        blobs = torch.zeros(n, *SIZE, dtype=torch.bool)
        for j, (x1, y1, x2, y2) in enumerate(boxes[-n:].int().tolist() if n else []):
            blobs[j, y1:y2, x1:x2] = True
        predictions.append({"boxes": boxes, "labels": labels,
                            "scores": torch.rand(len(labels), generator=gen),
                            "masks": torch.cat([masks, blobs])})
    return predictions


@pytest.fixture(scope="module")
def targets():
    _, targets = ShapesDataset(24, ShapesConfig(size=SIZE[0]), seed=2).batch(range(24))
    return targets


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_matches_pycocotools_called_directly(targets, iou_type, seed):
    predictions = _noisy(targets, torch.Generator().manual_seed(seed))
    ours = coco_evaluate(predictions, targets, iou_type=iou_type, image_size=SIZE)
    assert list(ours) == list(METRICS)
    assert list(ours.values()) == pytest.approx(_reference(predictions, targets, iou_type))
    assert 0 < ours["AP"] < 1


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_perfect_empty_and_missing_predictions(targets, iou_type):
    perfect = [dict(t, scores=torch.ones(len(t["labels"]))) for t in targets]
    assert any(len(t["labels"]) == 0 for t in targets)  # images without objects are valid
    scores = coco_evaluate(perfect, targets, iou_type=iou_type, image_size=SIZE)
    assert scores["AP"] == scores["AP50"] == scores["AP75"] == 1.0
    nothing = [{"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64),
                "scores": torch.zeros(0), "masks": torch.zeros(0, *SIZE)} for _ in targets]
    assert coco_evaluate(nothing, targets, iou_type=iou_type, image_size=SIZE)["AP"] == 0.0
    # an image without objects and without detections leaves a perfect score perfect
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64),
             "masks": torch.zeros(0, *SIZE, dtype=torch.bool)}
    scores = coco_evaluate([*perfect, dict(empty, scores=torch.zeros(0))], [*targets, empty],
                           iou_type=iou_type, image_size=SIZE)
    assert scores["AP"] == 1.0


def test_float_masks_are_thresholded_and_bad_input(targets):
    probabilities = [dict(t, scores=torch.ones(len(t["labels"])), masks=t["masks"] * 0.9)
                     for t in targets]
    assert coco_evaluate(probabilities, targets, iou_type="segm", image_size=SIZE)["AP"] == 1.0
    with pytest.raises(ValueError, match="iou_type must be 'bbox' or 'segm'"):
        coco_evaluate(probabilities, targets, iou_type="keypoints", image_size=SIZE)
    with pytest.raises(ValueError, match="one prediction per target image"):
        coco_evaluate(probabilities[:2], targets, image_size=SIZE)
    no_masks = [{k: v for k, v in p.items() if k != "masks"} for p in probabilities]
    with pytest.raises(ValueError, match="predictions\\[0\\] needs 'masks'"):
        coco_evaluate(no_masks, targets, iou_type="segm", image_size=SIZE)


def test_iou_and_giou_match_torchvision_in_value_and_gradient():
    gen = torch.Generator().manual_seed(0)
    a, b = _random_boxes(7, gen).double(), _random_boxes(5, gen).double()
    for ours, theirs in ((box_iou, ops.box_iou), (generalized_box_iou, ops.generalized_box_iou)):
        x, y = a.clone().requires_grad_(), a.clone().requires_grad_()
        mine, ref = ours(x, b), theirs(y, b)
        assert mine.shape == (7, 5) and torch.allclose(mine, ref)
        weights = torch.rand(7, 5, generator=gen, dtype=torch.float64)
        (mine * weights).sum().backward()
        (ref * weights).sum().backward()
        assert torch.allclose(x.grad, y.grad)


def test_hand_worked_iou_and_giou():
    a = torch.tensor([[0.0, 0.0, 2.0, 2.0]])
    b = torch.tensor([[1.0, 1.0, 3.0, 3.0], [4.0, 0.0, 6.0, 2.0]])
    assert box_iou(a, b).tolist() == [[pytest.approx(1 / 7), 0.0]]
    # the disjoint pair: the enclosing box is 6 x 2 = 12, the union 8: GIoU = 0 - 4/12
    assert generalized_box_iou(a, b)[0, 1].item() == pytest.approx(-1 / 3)
    x = a.clone().requires_grad_()
    box_iou(x, b[1:]).sum().backward()
    assert torch.equal(x.grad, torch.zeros(1, 4))
    x.grad = None
    generalized_box_iou(x, b[1:]).sum().backward()
    assert (x.grad[0, [0, 2]] != 0).all()
    with pytest.raises(ValueError, match="boxes1 must have shape \\(N, 4\\), got \\(4,\\)"):
        box_iou(a[0], b)


def test_no_ground_truth_at_all_is_undefined():
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    scores = coco_evaluate([dict(empty, scores=torch.zeros(0))], [empty], image_size=SIZE)
    assert np.allclose(list(scores.values()), -1.0)  # pycocotools' "undefined"
