"""The `shapes` scenes: exact masks, consistent annotations, styles, determinism, augmentation."""

import numpy as np
import pytest
import torch
from scipy import ndimage
from torchvision.ops import masks_to_boxes

from lecturelab.data import load_dataset
from lecturelab.data.detection_data import DetectionData, augment
from lecturelab.data.shapes import (
    CLASSES,
    ShapesConfig,
    ShapesDataset,
    _inside,
    collate,
    make_scene,
    tight_boxes,
)


def _grid(n):
    yy, xx = np.mgrid[0:n, 0:n] + 0.5 - n / 2  # pixel centres, the origin in the middle
    return xx, yy


def test_analytic_masks_hand_worked():
    xx, yy = _grid(8)
    # an axis-aligned square of side 4 (circumradius 2*sqrt(2), rotated 45 degrees) covers
    # exactly the 4 x 4 pixel centres at +-0.5 and +-1.5
    square = _inside("square", xx, yy, 2 * np.sqrt(2), np.pi / 4)
    assert square.sum() == 16 and square[2:6, 2:6].all()
    # a circle of radius 1.6 holds centres at distance 0.71 (4 of them) and 1.58 (8 of them)
    assert _inside("circle", xx, yy, 1.6, 0.0).sum() == 12
    for shape in ("triangle", "star", "hexagon"):  # convex hull inside the circumcircle
        big = _grid(64)
        inside = _inside(shape, *big, 20.0, 0.3)
        assert inside.any() and not (inside & (big[0] ** 2 + big[1] ** 2 > 20.0**2)).any()
    areas = {s: _inside(s, *_grid(200), 80.0, 0.1).sum() / (np.pi * 80**2)
             for s in ("triangle", "square", "hexagon")}
    expected = {"triangle": 3 * np.sqrt(3) / (4 * np.pi), "square": 2 / np.pi,
                "hexagon": 3 * np.sqrt(3) / (2 * np.pi)}
    for s, share in areas.items():
        assert share == pytest.approx(expected[s], rel=0.01)


def _check_scene(scene, size):
    k = len(scene.labels)
    assert scene.image.shape == (3, size, size) and scene.image.dtype == torch.uint8
    assert scene.boxes.shape == (k, 4) and scene.boxes.dtype == torch.float32
    assert scene.labels.dtype == torch.int64 and scene.masks.shape == (k, size, size)
    assert scene.masks.dtype == torch.bool and scene.semantic.dtype == torch.int64
    assert ((scene.labels >= 1) & (scene.labels <= len(CLASSES))).all()
    assert (scene.masks.sum(0) <= 1).all()  # visible parts are disjoint
    assert scene.masks.flatten(1).any(1).all()
    assert torch.equal(scene.boxes, tight_boxes(scene.masks))
    semantic = (scene.labels[:, None, None] * scene.masks).sum(0)
    assert torch.equal(scene.semantic, semantic)


@pytest.mark.parametrize("style", ["plain", "randomised", "target"])
def test_scenes_are_consistent_in_every_style(style):
    cfg = ShapesConfig(size=64, style=style)
    counts = []
    for i in range(30):
        scene = make_scene(cfg, np.random.default_rng(i))
        _check_scene(scene, 64)
        counts.append(len(scene.labels))
    assert min(counts) == 0 and max(counts) == 4


def test_plain_background_is_flat_and_styles_differ():
    scene = make_scene(ShapesConfig(size=64, min_objects=1), np.random.default_rng(0))
    background = scene.image[:, scene.semantic == 0]
    assert (background == background[:, :1]).all()
    colours = {}
    for style in ("randomised", "target"):
        scenes = [make_scene(ShapesConfig(size=32, style=style), np.random.default_rng(i))
                  for i in range(40)]
        colours[style] = [len(torch.unique(s.image[:, s.semantic == 0], dim=1).T)
                          for s in scenes]
    assert {1, 2} <= set(colours["randomised"])  # flat, and stripes or checker
    assert max(colours["randomised"]) > 100  # pixel noise
    assert min(colours["target"]) > 50  # clouds under noise: never flat


def test_tight_boxes_are_pixel_edges():
    masks = torch.zeros(1, 5, 5, dtype=torch.bool)
    masks[0, 2, 3] = True
    assert tight_boxes(masks).tolist() == [[3.0, 2.0, 4.0, 3.0]]  # one pixel is 1 wide
    masks = make_scene(ShapesConfig(size=32, min_objects=3), np.random.default_rng(0)).masks
    expected = masks_to_boxes(masks) + torch.tensor([0.0, 0.0, 1.0, 1.0])
    assert torch.equal(tight_boxes(masks), expected)
    assert tight_boxes(masks[:0]).shape == (0, 4)


def test_touching_scenes_merge_same_class_objects():
    cfg = ShapesConfig(size=64, min_objects=2, max_objects=4, touching=True)
    merged = 0
    for i in range(40):
        scene = make_scene(cfg, np.random.default_rng(i))
        _check_scene(scene, 64)
        assert len(set(scene.labels.tolist())) == 1
        merged += ndimage.label(scene.semantic.numpy() > 0)[1] < len(scene.labels)
    assert merged >= 36


def test_config_validation():
    with pytest.raises(ValueError, match="style must be one of plain, randomised, target"):
        ShapesConfig(style="cartoon")
    with pytest.raises(ValueError, match="min_objects <= max_objects"):
        ShapesConfig(min_objects=3, max_objects=2)
    with pytest.raises(ValueError, match="min_scale <= max_scale"):
        ShapesConfig(min_scale=0.5, max_scale=0.2)
    with pytest.raises(NotImplementedError):
        make_scene(ShapesConfig(camouflage=True), np.random.default_rng(0))


def test_dataset_is_deterministic_cached_and_batches():
    cfg = ShapesConfig(size=32, min_objects=0, max_objects=3)
    data = ShapesDataset(6, cfg, seed=3)
    assert len(data) == 6 and data[2] is data[2]
    again = ShapesDataset(6, cfg, seed=3)[2]
    assert torch.equal(again.image, data[2].image) and torch.equal(again.masks, data[2].masks)
    assert not torch.equal(ShapesDataset(6, cfg, seed=4)[2].image, data[2].image)
    images, targets = data.batch([0, 5, 1])
    assert images.shape == (3, 3, 32, 32) and images.dtype == torch.float32
    assert images.max() <= 1 and set(targets[1]) == {"boxes", "labels", "masks"}
    assert torch.equal(targets[1]["boxes"], data[5].boxes)
    assert torch.equal(collate([data[0], data[5], data[1]])[0], images)
    images, semantic = data.semantic_batch([4])
    assert semantic.shape == (1, 32, 32) and torch.equal(semantic[0], data[4].semantic)
    with pytest.raises(IndexError):
        data[6]
    with pytest.raises(ValueError, match="at least one scene"):
        collate([])


def test_registered_dataset():
    data = load_dataset("shapes", n_train=5, n_test=3, seed=1, size=32, style="randomised")
    assert isinstance(data, DetectionData) and data.num_classes == 5
    assert data.classes == CLASSES and data.train.cfg.style == "randomised"
    assert len(data.train) == 5 and len(data.test) == 3
    assert not torch.equal(data.train[0].image, data.test[0].image)
    with pytest.raises(ValueError, match="unknown config field\\(s\\) colour"):
        load_dataset("shapes", colour=True)


def test_augment_flip_is_exact():
    scene = make_scene(ShapesConfig(size=64, min_objects=2), np.random.default_rng(1))
    flipped = augment(scene, np.random.default_rng(0), flip=1.0, scale=(1.0, 1.0), shift=0.0)
    assert torch.equal(flipped.image, scene.image.flip(-1))
    assert torch.equal(flipped.masks, scene.masks.flip(-1))
    assert torch.equal(flipped.semantic, scene.semantic.flip(-1))
    assert torch.equal(flipped.boxes, tight_boxes(flipped.masks))


def test_augment_keeps_boxes_and_masks_together():
    data = ShapesDataset(40, ShapesConfig(size=64), seed=0)
    errors = []
    for i in range(40):
        out = augment(data[i], np.random.default_rng(i))
        assert out.image.shape == (3, 64, 64) and out.image.dtype == torch.uint8
        _check_masks_and_semantic(out)
        errors.append((out.boxes - tight_boxes(out.masks)).abs().flatten())
    errors = torch.cat(errors)  # the box moved by the affine map vs the resampled mask's box
    assert len(errors) > 100 and errors.median() <= 0.5 and errors.max() <= 2.5
    again = augment(data[3], np.random.default_rng(3))
    assert torch.equal(again.image, augment(data[3], np.random.default_rng(3)).image)


def _check_masks_and_semantic(scene):
    assert scene.masks.flatten(1).any(1).all() and (scene.masks.sum(0) <= 1).all()
    assert torch.equal(scene.semantic, (scene.labels[:, None, None] * scene.masks).sum(0))
    assert len(scene.boxes) == len(scene.labels) == len(scene.masks)


def test_augment_an_empty_scene():
    scene = make_scene(ShapesConfig(size=32, max_objects=0), np.random.default_rng(0))
    out = augment(scene, np.random.default_rng(0))
    assert out.boxes.shape == (0, 4) and out.masks.shape == (0, 32, 32)
    assert (out.semantic == 0).all()
