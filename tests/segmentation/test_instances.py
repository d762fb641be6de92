"""Counting instances by connected components and by detections (segmentation/instances.py)."""

import numpy as np
import pytest
import torch
from scipy import ndimage

from lecturelab.segmentation.instances import (
    best_threshold,
    components,
    count_accuracy,
    count_components,
    count_instances,
    semantic_masks,
)


def test_touching_same_class_blobs_count_as_one():
    semantic = torch.zeros(6, 8, dtype=torch.int64)
    semantic[1:3, 1:3] = 1  # two squares of class 1 sharing an edge
    semantic[1:3, 3:5] = 1
    semantic[4:6, 6:8] = 2  # one square of class 2, apart
    assert count_components(semantic) == 2


def test_components_use_4_connectivity_and_split_classes():
    semantic = torch.zeros(4, 4, dtype=torch.int64)
    semantic[0, 0] = semantic[1, 1] = 3  # touching only at a corner: two blobs
    semantic[2, 2], semantic[2, 3] = 1, 2  # touching, but of different classes: two blobs
    assert count_components(semantic) == 4
    assert count_components(torch.zeros(3, 3, dtype=torch.int64)) == 0
    with pytest.raises(ValueError, match=r"\(H, W\)"):
        count_components(torch.zeros(1, 3, 3, dtype=torch.int64))


def test_semantic_masks_paint_each_instance_with_its_label():
    masks = torch.zeros(2, 3, 3, dtype=torch.bool)
    masks[0, 0], masks[1, 2] = True, True
    target = {"labels": torch.tensor([4, 2]), "masks": masks}
    expected = torch.tensor([[4, 4, 4], [0, 0, 0], [2, 2, 2]])
    assert torch.equal(semantic_masks([target])[0], expected)


def test_counting_threshold_is_the_one_that_counts_best():
    scores = [torch.tensor([0.9, 0.6, 0.3]), torch.tensor([0.8, 0.4]), torch.tensor([0.2])]
    apart = torch.tensor([[0.0, 0, 10, 10], [20, 20, 30, 30], [40, 40, 50, 50]])
    detections = [{"scores": s, "boxes": apart[:len(s)]} for s in scores]
    truth = torch.tensor([2, 1, 0])
    assert count_accuracy(detections, truth, 0.5) == 1.0
    assert count_accuracy(detections, truth, 0.1) == 0.0
    assert best_threshold(detections, truth, (0.1, 0.25, 0.5, 0.7, 0.95)) == 0.5


def test_one_object_under_two_labels_counts_once():
    same = {"scores": torch.tensor([0.9, 0.8, 0.7]),
            "boxes": torch.tensor([[0.0, 0, 10, 10], [0.5, 0, 10, 10], [20, 20, 30, 30]])}
    assert count_instances(same, 0.5) == 2
    assert count_instances(same, 0.75) == 1


def test_components_are_numbered_across_classes():
    semantic = torch.zeros(6, 6, dtype=torch.int64)
    semantic[0:2, 0:2] = 1
    semantic[0:2, 2:4] = 2  # touches the class-1 blob
    semantic[4:6, 4:6] = 1
    numbered, n = components(semantic)
    assert n == 3 and sorted(np.unique(numbered).tolist()) == [0, 1, 2, 3]
    assert len(np.unique(numbered[0:2, 0:4])) == 2


@pytest.mark.parametrize("seed", range(5))
def test_components_of_one_class_are_scipys_labels(seed):
    mask = np.random.default_rng(seed).random((24, 24)) < 0.5
    numbered, n = components(torch.from_numpy(mask.astype(np.int64)))
    expected, k = ndimage.label(mask)
    assert n == k and np.array_equal(numbered, expected)


@pytest.mark.parametrize("seed", range(5))
def test_components_of_several_classes_are_scipys_labels_per_class(seed):
    semantic = np.random.default_rng(seed).integers(0, 4, (24, 24))
    numbered, n = components(torch.from_numpy(semantic))
    assert n == sum(ndimage.label(semantic == c)[1] for c in (1, 2, 3))
    assert np.array_equal(numbered == 0, semantic == 0)
    for blob in range(1, n + 1):  # each numbered blob is one class and one scipy component
        inside = numbered == blob
        assert len(np.unique(semantic[inside])) == 1
        c = semantic[inside][0]
        assert len(np.unique(ndimage.label(semantic == c)[0][inside])) == 1
