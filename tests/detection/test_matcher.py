"""IoU matching on hand-worked matrices, and torchvision's Matcher."""

import pytest
import torch
from torchvision.models.detection._utils import Matcher as TvMatcher

from lecturelab.detection.matcher import BELOW_LOW, BETWEEN, Matcher

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
