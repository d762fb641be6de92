"""One generic test over every registered dataset (`list_datasets()`): shapes and dtypes,
determinism by seed, class-balanced subsets and the declared augmentation."""

import inspect
from collections import Counter

import pytest
import torch

from lecturelab.data import ClassificationData, list_datasets, load_dataset
from lecturelab.data.detection_data import DetectionData
from lecturelab.data.motion import MotionData
from lecturelab.registry import datasets

SMALL = {  # keyword arguments that make a dataset quick to build; others load with defaults
    "toy2d": {"n_train": 60, "n_test": 20},
    "shapes": {"n_train": 3, "n_test": 2},
    "cifar10": {"source": "subset"},
    "motion": {"n_train": 4, "n_test": 2, "size": 32},
}


def small(name: str, **kwargs) -> ClassificationData | DetectionData:
    return load_dataset(name, **{**SMALL.get(name, {}), **kwargs})


def takes_seed(name: str) -> bool:
    return "seed" in inspect.signature(datasets.get(name)).parameters


@pytest.mark.parametrize("name", list_datasets())
def test_examples_have_the_documented_shapes_and_dtypes(name):
    data = small(name)
    if isinstance(data, MotionData):
        for split, n in ((data.train, 4), (data.test, 2)):
            assert split["frames"].dtype == torch.uint8 and split["frames"].shape[:3] == (n, 2, 3)
            assert split["flow"].shape == (n, 1, 2, 32, 32) and split["flow"].isfinite().all()
        return
    if isinstance(data, DetectionData):
        scene = data.train[0]
        assert scene.image.dtype == torch.uint8 and scene.image.shape[0] == 3
        assert scene.boxes.dtype == torch.float32 and scene.boxes.shape == (len(scene.labels), 4)
        assert scene.labels.dtype == torch.int64
        assert all(1 <= int(k) <= data.num_classes for k in scene.labels)
        return
    assert isinstance(data, ClassificationData)
    images = data.x_train.dim() == 4
    assert data.x_train.dtype == (torch.uint8 if images else torch.float32)
    assert data.y_train.dtype == torch.int64 and data.y_test.dtype == torch.int64
    assert len(data.classes) == data.num_classes
    assert set(data.y_train.tolist()) == set(range(data.num_classes))  # every class trains
    assert (data.mean is not None) == images and (data.std is not None) == images
    assert images or data.augmentation is None  # vectors declare no augmentation


@pytest.mark.parametrize("name", list_datasets())
def test_same_seed_same_data_other_seed_other_data(name):
    a, b = small(name), small(name)
    if isinstance(a, MotionData):
        assert all(torch.equal(a.train[k], b.train[k]) for k in a.train)
        assert not torch.equal(a.train["frames"], small(name, seed=1).train["frames"])
        return
    if isinstance(a, DetectionData):
        assert torch.equal(a.train[0].image, b.train[0].image)
        assert torch.equal(a.test[1].boxes, b.test[1].boxes)
        if takes_seed(name):
            assert not torch.equal(a.train[0].image, small(name, seed=1).train[0].image)
        return
    assert torch.equal(a.x_train, b.x_train) and torch.equal(a.y_test, b.y_test)
    if takes_seed(name):
        other = small(name, seed=1)
        assert not (other.x_train.shape == a.x_train.shape and torch.equal(other.x_train,
                                                                          a.x_train))


@pytest.mark.parametrize("name", list_datasets())
def test_subsets_are_class_balanced(name):
    data = small(name)
    if isinstance(data, DetectionData | MotionData):
        pytest.skip(f"{name} holds scenes or clips, not labelled examples")
    k = data.num_classes
    part = data.subset(n_train=2 * k, n_test=k, seed=5)
    assert Counter(part.y_train.tolist()) == dict.fromkeys(range(k), 2)
    assert Counter(part.y_test.tolist()) == dict.fromkeys(range(k), 1)
    assert part.augmentation == data.augmentation


def test_each_dataset_declares_the_augmentation_that_suits_it():
    assert load_dataset("cifar10", source="subset").augmentation.flip
    assert load_dataset("digits").augmentation is None  # no flips for digits; see README
    assert load_dataset("toy2d").augmentation is None
