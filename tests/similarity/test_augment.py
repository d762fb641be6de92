"""SimCLR's batched augmentations: identities, flips, and torchvision's colour ops."""

import pytest
import torch
from torchvision.transforms.v2 import functional as TF

from lecturelab.similarity.augment import (
    SimCLRAugment,
    adjust_brightness,
    adjust_contrast,
    adjust_saturation,
    crop_and_flip,
    greyscale,
    rotate_hue,
)


def images(n=4, size=8, seed=0):
    return torch.rand(n, 3, size, size, generator=torch.Generator().manual_seed(seed))


def test_identity_and_flip_grids_are_exact():
    x = images()
    identity = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]]).expand(4, 2, 3)
    assert torch.allclose(crop_and_flip(x, identity), x, atol=1e-6)
    flip = torch.tensor([[-1.0, 0, 0], [0, 1.0, 0]]).expand(4, 2, 3)
    assert torch.allclose(crop_and_flip(x, flip), x.flip(-1), atol=1e-6)


def test_no_augmentation_leaves_images_unchanged():
    x = images()
    plain = SimCLRAugment(crop=False, colour=False, flip=False)
    assert torch.equal(plain(x), x)


@pytest.mark.parametrize("ours,theirs", [(adjust_brightness, TF.adjust_brightness),
                                         (adjust_contrast, TF.adjust_contrast),
                                         (adjust_saturation, TF.adjust_saturation)])
def test_colour_ops_match_torchvision_per_image(ours, theirs):
    x = images()
    factors = torch.tensor([0.6, 1.0, 1.3, 1.4])
    out = ours(x, factors)
    for i, f in enumerate(factors.tolist()):
        assert torch.allclose(out[i], theirs(x[i], f), atol=1e-5)


def test_greyscale_matches_torchvision():
    x = images()
    assert torch.allclose(greyscale(x), TF.rgb_to_grayscale(x), atol=1e-6)


def test_hue_rotation_keeps_grey_images_and_a_full_turn_is_identity():
    grey = greyscale(images()).expand(4, 3, 8, 8)
    assert torch.allclose(rotate_hue(grey, torch.full((4,), 0.3)), grey, atol=1e-5)
    x = images() * 0.5 + 0.25  # away from the clamp
    assert torch.allclose(rotate_hue(x, torch.ones(4)), x, atol=1e-5)


def test_views_differ_per_image_and_repeat_with_the_generator():
    x = images(n=8)
    aug = SimCLRAugment()
    a = aug(x, torch.Generator().manual_seed(1))
    b = aug(x, torch.Generator().manual_seed(1))
    assert torch.equal(a, b) and a.shape == x.shape
    assert a.min() >= 0 and a.max() <= 1
    changed = (a - x).abs().flatten(1).amax(1) > 1e-3
    assert changed.sum() >= 6  # per-image parameters: (almost) every image changed


def test_wrong_shape_is_named():
    with pytest.raises(ValueError, match=r"RGB batches \(B, 3, H, W\)"):
        SimCLRAugment()(torch.rand(3, 8, 8))
