"""toy2d, mnist1d, digits and the ClassificationData container (subsets, validation)."""

import random
from collections import Counter

import numpy as np
import pytest
import torch
from sklearn.datasets import load_digits

from lecturelab.data import ClassificationData, list_datasets, load_dataset, xor_points
from lecturelab.registry import UnknownNameError


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURELAB_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def test_registered_names():
    assert {"toy2d", "mnist1d", "digits", "cifar10"} <= set(list_datasets())
    with pytest.raises(UnknownNameError, match="did you mean mnist1d"):
        load_dataset("mnist1")


@pytest.mark.parametrize("kind", ["xor", "moons", "circles", "spirals"])
def test_toy2d_shapes_balance_and_seed(kind):
    data = load_dataset("toy2d", kind=kind, n_train=101, n_test=40, seed=3)
    assert data.x_train.shape == (101, 2) and data.x_train.dtype == torch.float32
    assert data.x_test.shape == (40, 2) and data.y_test.dtype == torch.int64
    assert data.input_shape == (2,) and data.num_classes == 2 and data.mean is None
    assert abs(int(data.y_train.sum()) - 50.5) <= 0.5  # 50 or 51 of class 1
    again = load_dataset("toy2d", kind=kind, n_train=101, n_test=7, seed=3)
    assert torch.equal(data.x_train, again.x_train)  # the train set ignores n_test
    other = load_dataset("toy2d", kind=kind, n_train=101, n_test=40, seed=4)
    assert not torch.equal(data.x_train, other.x_train)
    assert not torch.equal(data.x_train[:40], data.x_test)


def test_toy2d_xor_labels_follow_the_quadrants():
    data = load_dataset("toy2d", kind="xor", n_train=400, noise=0.05)
    x, y = data.x_train, data.y_train
    assert torch.equal(y, ((x[:, 0] > 0) ^ (x[:, 1] > 0)).long())
    assert torch.bincount(y).tolist() == [200, 200]


def test_toy2d_spirals_are_two_arms_in_the_unit_disc():
    x = load_dataset("toy2d", kind="spirals", n_train=500, noise=0.0).x_train
    assert x.norm(dim=1).max() <= 1 + 1e-6


def test_toy2d_bad_kind_and_noise():
    with pytest.raises(ValueError, match="kind must be one of xor, moons, circles, spirals"):
        load_dataset("toy2d", kind="swiss")
    with pytest.raises(ValueError, match="noise >= 0"):
        load_dataset("toy2d", noise=-1.0)


def test_xor_points():
    x, y = xor_points()
    assert x.dtype == np.float64 and x.shape == (4, 2)
    assert y.tolist() == [int(a) ^ int(b) for a, b in x]


def test_mnist1d_shapes_cache_and_global_rng(cache):
    np.random.seed(7)
    random.seed(7)
    data = load_dataset("mnist1d")
    assert np.random.rand() == np.random.RandomState(7).rand()  # global state left as it was
    assert random.random() == random.Random(7).random()
    assert data.x_train.shape == (4000, 40) and data.x_train.dtype == torch.float32
    assert data.x_test.shape == (1000, 40) and data.y_test.dtype == torch.int64
    assert data.num_classes == 10 and set(data.y_train.tolist()) == set(range(10))
    assert len(list(cache.glob("mnist1d-*.npz"))) == 1
    assert torch.equal(load_dataset("mnist1d").x_train, data.x_train)  # from the cache


def test_mnist1d_seed_makes_another_dataset():
    assert not torch.equal(load_dataset("mnist1d", seed=1).x_train[:5],
                           load_dataset("mnist1d").x_train[:5])


def test_digits_images_split_and_stats():
    data = load_dataset("digits", test_fraction=0.2, seed=0)
    assert data.x_train.dtype == torch.uint8 and data.input_shape == (1, 8, 8)
    assert len(data.x_train) + len(data.x_test) == 1797 and len(data.x_test) == 360
    assert int(data.x_train.max()) == 255
    counts = torch.bincount(data.y_test, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37  # stratified: ~20% of each ~180
    x = data.x_train.double() / 255
    assert data.mean[0] == pytest.approx(x.mean().item())
    assert data.std[0] == pytest.approx(x.std(unbiased=False).item())
    both = torch.cat([data.x_train, data.x_test]).double() * 16 / 255
    grey16 = torch.round(both).to(torch.uint8).view(-1, 64)  # back to sklearn's 0..16 levels
    assert Counter(bytes(r) for r in grey16.numpy()) == Counter(
        bytes(r) for r in load_digits().data.astype(np.uint8))
    again = load_dataset("digits", seed=0)
    assert torch.equal(again.x_test, data.x_test)
    assert not torch.equal(load_dataset("digits", seed=1).y_test, data.y_test)


def _tiny(n_per_class=(6, 4, 5), n_test=3):
    y = torch.cat([torch.full((n,), c) for c, n in enumerate(n_per_class)])
    x = torch.arange(len(y), dtype=torch.uint8).view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clone()
    y_test = torch.arange(len(n_per_class)).repeat(n_test)
    x_test = torch.zeros(len(y_test), 1, 2, 2, dtype=torch.uint8)
    return ClassificationData("tiny", x, y, x_test, y_test, num_classes=len(n_per_class),
                              classes=("a", "b", "c"), mean=(0.5,), std=(0.25,))


def test_subset_is_balanced_sorted_and_seeded():
    data = _tiny()
    sub = data.subset(n_train=8, n_test=6, seed=1)
    assert sorted(torch.bincount(sub.y_train).tolist()) == [2, 3, 3]
    assert torch.bincount(sub.y_test).tolist() == [2, 2, 2]
    ids = sub.x_train[:, 0, 0, 0]
    assert torch.equal(ids, ids.sort().values)  # original order kept
    assert torch.equal(data.y_train[ids.long()], sub.y_train)  # labels travel with images
    assert torch.equal(data.subset(n_train=8, seed=1).x_train, sub.x_train)
    draws = {tuple(data.subset(n_train=8, seed=s).x_train[:, 0, 0, 0].tolist()) for s in range(5)}
    assert len(draws) > 1
    assert sub.mean == (0.5,) and sub.classes == data.classes


def test_subset_classes_relabel_in_given_order():
    data = _tiny()
    sub = data.subset(classes=[np.int64(2), "a"])
    assert sub.classes == ("c", "a") and sub.num_classes == 2
    ids = sub.x_train[:, 0, 0, 0].long()
    assert torch.equal(sub.y_train, torch.where(data.y_train[ids] == 2, 0, 1))
    assert torch.bincount(sub.y_train).tolist() == [5, 6]
    assert len(sub.y_test) == 6


def test_subset_bad_requests():
    data = _tiny()
    with pytest.raises(ValueError, match="n_train=15 needs 5 examples of class 1, which has 4"):
        data.subset(n_train=15)
    with pytest.raises(ValueError, match="classes must be distinct"):
        data.subset(classes=[0, 0])
    with pytest.raises(ValueError, match="a class must be an index in \\[0, 3\\) or a name from"):
        data.subset(classes=["z"])
    with pytest.raises(ValueError, match="got 3"):
        data.subset(classes=[3])
    with pytest.raises(ValueError, match="n_train must be >= 0"):
        data.subset(n_train=-1)


def test_container_validates_shapes_dtypes_and_labels():
    x, y = torch.zeros(4, 3), torch.zeros(4, dtype=torch.int64)
    with pytest.raises(ValueError, match="float32 \\(N, D\\) vectors, got torch.float64"):
        ClassificationData("v", x.double(), y, x, y, num_classes=1, classes=("a",))
    with pytest.raises(ValueError, match="y must be int64 of shape \\(4,\\)"):
        ClassificationData("v", x, y[:3], x, y, num_classes=1, classes=("a",))
    with pytest.raises(ValueError, match="x_test must match"):
        ClassificationData("v", x, y, torch.zeros(4, 2), y, num_classes=1, classes=("a",))
    with pytest.raises(ValueError, match="labels must lie in \\[0, 1\\)"):
        ClassificationData("v", x, y + 1, x, y, num_classes=1, classes=("a",))
    with pytest.raises(ValueError, match="classes must name all 2"):
        ClassificationData("v", x, y, x, y, num_classes=2, classes=("a",))
    data = ClassificationData("v", x, y, x, y, num_classes=1, classes=("a",))
    assert repr(data) == "ClassificationData('v', train=4, test=4, input_shape=(3,), num_classes=1)"
