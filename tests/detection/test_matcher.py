"""IoU matching on hand-worked matrices, a batch at once, and torchvision's Matcher."""

import pytest
import torch
from torchvision.models.detection._utils import Matcher as TvMatcher
from torchvision.ops import box_iou

from lecturelab.detection.matcher import BELOW_LOW, BETWEEN, Matcher
from lecturelab.detection.rpn import match_batch

IOU = torch.tensor([[0.90, 0.50, 0.10, 0.00],
                    [0.20, 0.65, 0.25, 0.05]])


def test_thresholds():
    match = Matcher(0.7, 0.3, allow_low_quality_matches=False)(IOU)
    assert match.tolist() == [0, BETWEEN, BELOW_LOW, BELOW_LOW]


def test_low_quality_matches_give_every_object_its_best_anchor():
    match = Matcher(0.7, 0.3, allow_low_quality_matches=True)(IOU)
    assert match.tolist() == [0, 1, BELOW_LOW, BELOW_LOW]


def test_ties_all_match_and_zero_overlap_never_does():
    iou = torch.tensor([[0.4, 0.4, 0.1], [0.0, 0.0, 0.0]])
    match = Matcher(0.5, 0.3, allow_low_quality_matches=True)(iou)
    assert match.tolist() == [0, 0, BELOW_LOW]


def test_no_objects_means_all_background():
    match = Matcher(0.5, 0.4, allow_low_quality_matches=True)(torch.zeros(0, 6))
    assert match.tolist() == [BELOW_LOW] * 6


@pytest.mark.parametrize("low_quality", [False, True])
def test_matches_torchvision(low_quality):
    iou = torch.rand(5, 200, generator=torch.Generator().manual_seed(0)) * 0.9
    ours = Matcher(0.7, 0.3, allow_low_quality_matches=low_quality)(iou)
    theirs = TvMatcher(0.7, 0.3, allow_low_quality_matches=low_quality)(iou)
    assert torch.equal(ours, theirs)


def test_bad_thresholds():
    with pytest.raises(ValueError, match="low <= high"):
        Matcher(0.3, 0.7, allow_low_quality_matches=False)


def test_a_batch_matches_as_its_images_one_by_one():
    g = torch.Generator().manual_seed(0)
    corners = torch.rand(60, 2, generator=g) * 48
    anchors = torch.cat([corners, corners + 4 + torch.rand(60, 2, generator=g) * 12], 1)
    boxes = [anchors[[3, 17, 40]] + 1.5, anchors[:0], anchors[[8]] - 2.0, anchors[[5, 6]]]
    matcher = Matcher(0.5, 0.4, allow_low_quality_matches=True)
    batch = match_batch(anchors, boxes, matcher)
    one_by_one = torch.stack([matcher(box_iou(b, anchors)) for b in boxes])
    assert torch.equal(batch, one_by_one)
    assert (batch[1] == BELOW_LOW).all() and (batch[0] >= 0).sum() >= 3
    no_objects = match_batch(anchors, [anchors[:0]] * 2, matcher)
    assert no_objects.shape == (2, 60) and (no_objects == BELOW_LOW).all()
