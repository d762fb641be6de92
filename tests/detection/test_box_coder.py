"""Box coding: a hand-worked encoding, the round trip, and torchvision's BoxCoder."""

import math

import pytest
import torch
from torchvision.models.detection._utils import BoxCoder as TvBoxCoder

from lecturelab.detection.box_coder import BoxCoder


def random_boxes(n: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    xy = torch.rand(n, 2, generator=g) * 100
    wh = torch.rand(n, 2, generator=g) * 50 + 1
    return torch.cat([xy, xy + wh], 1)


def test_hand_worked_encoding():
    anchor = torch.tensor([[0.0, 0.0, 10.0, 10.0]])  # centre (5, 5), 10 x 10
    box = torch.tensor([[5.0, 5.0, 15.0, 25.0]])  # centre (10, 15), 10 x 20
    plain = BoxCoder().encode(box, anchor)
    assert torch.allclose(plain, torch.tensor([[0.5, 1.0, 0.0, math.log(2)]]))
    weighted = BoxCoder((10.0, 10.0, 5.0, 5.0)).encode(box, anchor)
    assert torch.allclose(weighted, torch.tensor([[5.0, 10.0, 0.0, 5 * math.log(2)]]))


@pytest.mark.parametrize("weights", [(1.0, 1.0, 1.0, 1.0), (10.0, 10.0, 5.0, 5.0)])
def test_round_trip(weights):
    coder = BoxCoder(weights)
    boxes, anchors = random_boxes(50, 0), random_boxes(50, 1)
    assert torch.allclose(coder.decode(coder.encode(boxes, anchors), anchors), boxes, atol=1e-4)


def test_matches_torchvision():
    ours, theirs = BoxCoder((10.0, 10.0, 5.0, 5.0)), TvBoxCoder((10.0, 10.0, 5.0, 5.0))
    boxes, anchors = random_boxes(20, 2), random_boxes(20, 3)
    assert torch.allclose(ours.encode(boxes, anchors), theirs.encode_single(boxes, anchors),
                          atol=1e-5)
    deltas = torch.randn(20, 4 * 3, generator=torch.Generator().manual_seed(4)) * 3
    expected = theirs.decode_single(deltas, anchors).reshape(20, 3, 4)
    assert torch.allclose(ours.decode(deltas, anchors), expected, atol=1e-4)


def test_class_specific_decode_and_empty():
    coder = BoxCoder()
    anchors = random_boxes(5, 5)
    assert coder.decode(torch.zeros(5, 8), anchors).shape == (5, 2, 4)
    assert torch.allclose(coder.decode(torch.zeros(5, 4), anchors), anchors)
    assert coder.decode(torch.zeros(0, 4), torch.zeros(0, 4)).shape == (0, 4)


def test_large_log_sizes_are_clamped():
    anchor = torch.tensor([[0.0, 0.0, 16.0, 16.0]])
    box = BoxCoder().decode(torch.tensor([[0.0, 0.0, 100.0, 100.0]]), anchor)
    assert torch.allclose(box[0, 2] - box[0, 0], torch.tensor(1000.0))


def test_bad_shapes():
    with pytest.raises(ValueError, match="must both be"):
        BoxCoder().encode(torch.zeros(3, 4), torch.zeros(2, 4))
    with pytest.raises(ValueError, match="deltas must be"):
        BoxCoder().decode(torch.zeros(3, 5), torch.zeros(3, 4))
    with pytest.raises(ValueError, match="weights"):
        BoxCoder((1.0, 1.0, 1.0))
