"""Pixel accuracy, IoU and boundary F1: hand-worked cases and scikit-learn."""

import numpy as np
import pytest
import torch
from sklearn.metrics import confusion_matrix as sk_confusion
from sklearn.metrics import jaccard_score

from lecturelab.segmentation.metrics import (
    bf_tolerance,
    boundaries,
    boundary_f1,
    class_iou,
    confusion_matrix,
    mean_iou,
    pixel_accuracy,
)


def _square(size=8, lo=2, hi=6, label=1, shift=0):
    labels = torch.zeros(size, size, dtype=torch.int64)
    labels[lo:hi, lo + shift:hi + shift] = label
    return labels


def test_confusion_iou_and_accuracy_match_sklearn():
    gen = torch.Generator().manual_seed(0)
    target = torch.randint(0, 4, (3, 10, 10), generator=gen)
    pred = torch.where(torch.rand(3, 10, 10, generator=gen) < 0.7, target,
                       torch.randint(0, 4, (3, 10, 10), generator=gen))
    t, p = target.flatten().numpy(), pred.flatten().numpy()
    assert (confusion_matrix(pred, target, 4).numpy() == sk_confusion(t, p, labels=range(4))).all()
    assert pixel_accuracy(pred, target) == pytest.approx((t == p).mean())
    assert mean_iou(pred, target, 4) == pytest.approx(jaccard_score(t, p, average="macro"))


def test_hand_worked_iou_and_all_background():
    target = _square()  # 16 object pixels of 64
    pred = _square(shift=1)  # overlaps 12, union 20
    iou = class_iou(pred, target, 3)
    assert iou[1].item() == pytest.approx(12 / 20)
    assert iou[0].item() == pytest.approx(44 / 52)  # background: 48 true, 48 predicted
    assert torch.isnan(iou[2])  # class 2 appears nowhere: left out of the mean
    assert mean_iou(pred, target, 3) == pytest.approx((12 / 20 + 44 / 52) / 2)
    background = torch.zeros_like(target)
    assert pixel_accuracy(background, target) == 48 / 64
    assert mean_iou(background, target, 3) == pytest.approx((48 / 64 + 0) / 2)


def test_boundaries_hand_worked():
    edge = boundaries(_square().bool())
    assert edge.sum() == 12 and not edge[3:5, 3:5].any()  # the 4 x 4 square's ring
    corner = torch.zeros(5, 5, dtype=torch.bool)
    corner[:3, :3] = True  # touches the image edge, which is not a boundary
    assert boundaries(corner).sum() == 5


def test_boundary_f1_tolerance():
    target = _square(size=16, lo=4, hi=10)
    assert boundary_f1(target, target, 2) == 1.0
    shifted = _square(size=16, lo=4, hi=10, shift=1)
    assert boundary_f1(shifted, target, 2, tolerance=1) == 1.0
    f1 = boundary_f1(shifted, target, 2, tolerance=0)  # only coinciding boundary pixels count
    assert 0 < f1 < 1
    bp, bt = boundaries(shifted == 1), boundaries(target == 1)
    p = (bp & bt).sum().item() / bp.sum().item()
    assert p == 10 / 20  # of each 6 x 6 ring, only the top and bottom rows' 5 shared pixels
    class1 = 2 * p * p / (p + p)  # symmetric: recall equals precision
    bp0, bt0 = boundaries(shifted == 0), boundaries(target == 0)
    p0, r0 = ((bp0 & bt0).sum() / bp0.sum()).item(), ((bp0 & bt0).sum() / bt0.sum()).item()
    class0 = 2 * p0 * r0 / (p0 + r0)
    assert f1 == pytest.approx((class0 + class1) / 2)
    assert boundary_f1(torch.zeros_like(target), target, 2, tolerance=1) < 0.5


def test_boundary_f1_batches_and_default_tolerance():
    target = torch.stack([_square(size=16, lo=4, hi=10), _square(size=16, lo=2, hi=12, label=2)])
    pred = target.clone()
    pred[1] = 0  # image 1 all background: no predicted boundary, so both its classes score 0
    assert boundary_f1(pred, target, 3) == pytest.approx((1 + 1 + 0 + 0) / 4)
    assert [bf_tolerance(n, n) for n in (48, 94, 95, 188, 189)] == [0, 0, 1, 1, 2]
    full = torch.ones(8, 8, dtype=torch.int64)  # a class filling the image has no boundary
    assert boundary_f1(full, full, 2) == 1.0


def test_bad_input():
    a = torch.zeros(4, 4, dtype=torch.int64)
    with pytest.raises(ValueError, match="same"):
        pixel_accuracy(a, a[:2])
    with pytest.raises(ValueError, match="int64 class labels, got torch.float32"):
        mean_iou(a.float(), a, 2)
    with pytest.raises(ValueError, match="labels must lie in \\[0, 2\\), got \\[0, 5\\]"):
        boundary_f1(a, a + torch.from_numpy(np.eye(4, dtype=np.int64) * 5), 2)
    with pytest.raises(ValueError, match="tolerance must be >= 0"):
        boundary_f1(a, a, 2, tolerance=-1)
