"""Anchors: counts, centres and sizes worked by hand, and torchvision's generator."""

import math

import pytest
import torch
from torchvision.models.detection.anchor_utils import AnchorGenerator as TvAnchorGenerator
from torchvision.models.detection.image_list import ImageList

from lecturelab.detection.anchors import AnchorGenerator, cell_anchors, octave_sizes


def test_cell_anchors_keep_the_area_and_set_the_ratio():
    cells = cell_anchors([32.0], [0.5, 1.0, 2.0])
    w, h = cells[:, 2] - cells[:, 0], cells[:, 3] - cells[:, 1]
    assert torch.allclose(cells[1], torch.tensor([-16.0, -16.0, 16.0, 16.0]))
    assert torch.allclose(w * h, torch.full((3,), 1024.0))
    assert torch.allclose(h / w, torch.tensor([0.5, 1.0, 2.0]))
    assert torch.allclose(cells[0], torch.tensor([-16 * math.sqrt(2), -8 * math.sqrt(2),
                                                  16 * math.sqrt(2), 8 * math.sqrt(2)]))


def test_cell_anchors_are_ratio_major():
    cells = cell_anchors([10.0, 20.0], [0.5, 2.0])
    w, h = cells[:, 2] - cells[:, 0], cells[:, 3] - cells[:, 1]
    assert torch.allclose((w * h).sqrt(), torch.tensor([10.0, 20.0, 10.0, 20.0]))
    assert torch.allclose(h / w, torch.tensor([0.5, 0.5, 2.0, 2.0]))


def test_grid_count_centres_and_order():
    gen = AnchorGenerator(((16.0,), (32.0,)), (8, 16))
    anchors = gen([(2, 3), (1, 2)])
    assert anchors.shape == (2 * 3 * 3 + 1 * 2 * 3, 4)
    centres = (anchors[:, :2] + anchors[:, 2:]) / 2
    assert torch.allclose(centres[0], torch.tensor([4.0, 4.0]))
    assert torch.allclose(centres[(1 * 3 + 2) * 3], torch.tensor([20.0, 12.0]))  # y=1, x=2
    assert torch.allclose(centres[18], torch.tensor([8.0, 8.0]))  # level 2 starts
    assert torch.allclose(centres[18 + 3], torch.tensor([24.0, 8.0]))
    sides = ((anchors[:, 2] - anchors[:, 0]) * (anchors[:, 3] - anchors[:, 1])).sqrt()
    assert torch.allclose(sides, torch.tensor([16.0] * 18 + [32.0] * 6))


def test_matches_torchvision_up_to_the_half_cell_shift_and_rounding():
    sizes, ratios = ((32.0, 64.0),), (0.5, 1.0, 2.0)
    ours = AnchorGenerator(sizes, (8,), aspect_ratios=ratios)([(4, 5)])
    tv = TvAnchorGenerator(((32, 64),), (ratios,))
    image = ImageList(torch.zeros(1, 3, 32, 40), [(32, 40)])
    theirs = tv(image, [torch.zeros(1, 8, 4, 5)])[0]
    # torchvision: the same order, centres at the cell corner, corners rounded to integers
    assert torch.allclose(ours - 4.0, theirs, atol=0.5)


def test_octave_sizes():
    (level,) = octave_sizes((32.0,))
    assert level == pytest.approx((32.0, 32 * 2 ** (1 / 3), 32 * 2 ** (2 / 3)))


def test_bad_arguments():
    with pytest.raises(ValueError, match="one sizes entry per stride"):
        AnchorGenerator(((16.0,),), (8, 16))
    with pytest.raises(ValueError, match="positive"):
        cell_anchors([0.0], [1.0])
    with pytest.raises(ValueError, match="expected 1 feature maps"):
        AnchorGenerator(((16.0,),), (8,))([(2, 2), (1, 1)])
