"""DeviceLoader: batching, per-epoch determinism, augmentation, normalisation and sharding."""

import pytest
import torch
import torchvision.transforms.v2.functional as TF

from lecturelab.data import ClassificationData, DeviceLoader
from lecturelab.data.loader import CROP_FLIP, Augmentation, flip_crop


def _vectors(n):
    """Float vectors whose one feature is their index, labels equal to the index."""
    return torch.arange(n, dtype=torch.float32)[:, None], torch.arange(n)


def _indices(loader):
    return torch.cat([y for _, y in loader]).tolist()


def test_len_and_batches_cover_the_data_once():
    x, y = _vectors(10)
    loader = DeviceLoader(x, y, batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 and [len(b) for _, b in batches] == [4, 4, 2]
    assert sorted(_indices(loader)) == list(range(10))
    for xb, yb in batches:
        assert torch.equal(xb[:, 0], yb.float())  # vectors pass through, rows stay paired
    dropped = DeviceLoader(x, y, batch_size=4, drop_last=True)
    assert len(dropped) == 2 and len(_indices(dropped)) == 8
    assert _indices(DeviceLoader(x, y, batch_size=3, shuffle=False)) == list(range(10))


def test_order_is_a_function_of_seed_and_epoch():
    x, y = _vectors(50)
    a, b = DeviceLoader(x, y, batch_size=8, seed=1), DeviceLoader(x, y, batch_size=8, seed=1)
    a.set_epoch(3)
    b.set_epoch(3)
    assert _indices(a) == _indices(b)
    a.set_epoch(3)
    b.set_epoch(4)
    assert _indices(a) != _indices(b)
    a.set_epoch(3)
    c = DeviceLoader(x, y, batch_size=8, seed=2)
    c.set_epoch(3)
    assert _indices(a) != _indices(c)


def test_each_pass_advances_the_epoch():
    x, y = _vectors(50)
    loader = DeviceLoader(x, y, batch_size=8)
    first, second = _indices(loader), _indices(loader)
    assert first != second
    loader.set_epoch(1)
    assert _indices(loader) == second
    resumed = DeviceLoader(x, y, batch_size=8)
    resumed.set_epoch(1)
    assert _indices(resumed) == second


def test_augmented_batches_repeat_per_epoch():
    x = torch.randint(0, 256, (20, 3, 8, 8), dtype=torch.uint8)
    y = torch.zeros(20, dtype=torch.int64)
    runs = []
    for _ in range(2):
        loader = DeviceLoader(x, y, batch_size=6, augment=True, seed=5)
        loader.set_epoch(2)
        runs.append(torch.cat([xb for xb, _ in loader]))
    assert runs[0].shape == (20, 3, 8, 8) and runs[0].dtype == torch.float32
    assert torch.equal(runs[0], runs[1])
    loader.set_epoch(3)
    assert not torch.equal(torch.cat([xb for xb, _ in loader]), runs[0])


def test_flip_crop_is_a_padded_crop_then_maybe_a_flip():
    image = torch.arange(1, 37, dtype=torch.uint8).view(1, 1, 6, 6)  # distinct non-zero pixels
    padded = TF.pad(image, [4])
    candidates = {}
    for top in range(9):
        for left in range(9):
            crop = TF.crop(padded, top, left, 6, 6)
            candidates[(top, left, False)] = crop
            candidates[(top, left, True)] = TF.horizontal_flip(crop)
    out = flip_crop(image.expand(400, -1, -1, -1), torch.Generator().manual_seed(0))
    assert out.shape == (400, 1, 6, 6) and out.dtype == torch.uint8
    seen = []
    for img in out:
        matches = [k for k, c in candidates.items() if torch.equal(img, c[0])]
        assert len(matches) == 1
        seen.append(matches[0])
    flips = sum(k[2] for k in seen)
    assert 150 < flips < 250
    assert {k[0] for k in seen} == set(range(9)) == {k[1] for k in seen}


def test_flip_crop_hand_worked():
    image = torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8).view(1, 1, 2, 2)
    out = flip_crop(image.expand(3000, -1, -1, -1), torch.Generator().manual_seed(1))
    as_lists = {tuple(o.flatten().tolist()) for o in out}
    assert (1, 2, 3, 4) in as_lists and (2, 1, 4, 3) in as_lists  # unshifted, and mirrored
    assert (0, 0, 0, 1) in as_lists  # shifted by (+1, +1): zeros come in top-left


def test_normalisation_matches_torchvision():
    x = torch.randint(0, 256, (5, 3, 4, 4), dtype=torch.uint8)
    y = torch.zeros(5, dtype=torch.int64)
    mean, std = (0.1, 0.2, 0.3), (0.5, 0.25, 2.0)
    xb, _ = next(iter(DeviceLoader(x, y, batch_size=5, shuffle=False, mean=mean, std=std)))
    expected = TF.normalize(TF.to_dtype(x, torch.float32, scale=True), mean, std)
    torch.testing.assert_close(xb, expected)
    grey = torch.full((1, 1, 1, 1), 51, dtype=torch.uint8)  # 0.2 in [0, 1]
    xb, _ = next(iter(DeviceLoader(grey, y[:1], batch_size=1, mean=(0.1,), std=(0.5,))))
    assert xb.item() == pytest.approx(0.2)
    xb, _ = next(iter(DeviceLoader(grey, y[:1], batch_size=1)))
    assert xb.item() == pytest.approx(0.2)


@pytest.mark.parametrize("n", [12, 14])
def test_shards_are_disjoint_equal_and_from_one_permutation(n):
    x, y = _vectors(n)
    whole = _indices(DeviceLoader(x, y, batch_size=100, seed=3))
    shards = []
    for rank in range(3):
        loader = DeviceLoader(x, y, batch_size=2, seed=3, rank=rank, world_size=3)
        assert len(loader) == 2
        shards.append(_indices(loader))
    assert [len(s) for s in shards] == [4, 4, 4]
    assert len(set().union(*map(set, shards))) == 12  # disjoint
    assert set().union(*map(set, shards)) == set(whole[:12])  # 14 % 3 = 2 are left out
    assert [s[0] for s in shards] == whole[:3]


def test_bad_arguments():
    x, y = _vectors(4)
    images = torch.zeros(4, 1, 2, 2, dtype=torch.uint8)
    with pytest.raises(ValueError, match="batch_size must be > 0, got 0"):
        DeviceLoader(x, y, batch_size=0)
    with pytest.raises(ValueError, match="rank must lie in \\[0, world_size=2\\), got 2"):
        DeviceLoader(x, y, batch_size=1, rank=2, world_size=2)
    with pytest.raises(ValueError, match="augment needs uint8"):
        DeviceLoader(x, y, batch_size=1, augment=True)
    with pytest.raises(ValueError, match="float vectors pass through"):
        DeviceLoader(x, y, batch_size=1, mean=(0.5,))
    with pytest.raises(ValueError, match="mean must give 1 per-channel value"):
        DeviceLoader(images, y, batch_size=1, mean=(0.5, 0.5))
    with pytest.raises(ValueError, match="std must give 1 per-channel value\\(s\\) > 0"):
        DeviceLoader(images, y, batch_size=1, std=(0.0,))
    with pytest.raises(ValueError, match="uint8 \\(N, C, H, W\\) images or float32"):
        DeviceLoader(images.float(), y, batch_size=1)
    with pytest.raises(ValueError, match="y must be int64 of shape \\(4,\\)"):
        DeviceLoader(x, y.int(), batch_size=1)


def test_small_shifts_without_flips():
    image = torch.tensor([[1, 2], [3, 4]], dtype=torch.uint8).view(1, 1, 2, 2)
    out = flip_crop(image.expand(3000, -1, -1, -1), torch.Generator().manual_seed(1), pad=1,
                    flip=False)
    as_lists = {tuple(o.flatten().tolist()) for o in out}
    assert (1, 2, 3, 4) in as_lists and (0, 0, 0, 1) in as_lists and (4, 0, 0, 0) in as_lists
    assert (2, 1, 4, 3) not in as_lists and len(as_lists) == 9  # 3 x 3 shifts, no mirror
    assert torch.equal(flip_crop(image, torch.Generator(), pad=0, flip=False), image)


def test_dataset_loaders_apply_the_declared_augmentation():
    x = torch.randint(0, 256, (10, 3, 4, 4), dtype=torch.uint8)
    y = torch.arange(10) % 2
    data = ClassificationData("d", x, y, x[:6], y[:6], num_classes=2, classes=("a", "b"),
                              mean=(0.5,) * 3, std=(0.5,) * 3, augmentation=Augmentation(pad=1))
    train, test = data.loaders(4, "cpu", augment=True, seed=1)
    assert len(train) == 3 and len(test) == 2 and not test.augment
    assert train.augment == Augmentation(pad=1)
    assert DeviceLoader(x, y, batch_size=2, augment=True).augment == CROP_FLIP
    with pytest.raises(ValueError, match="d declares no augmentation"):
        ClassificationData("d", x, y, x, y, num_classes=2, classes=("a", "b")).loaders(
            4, augment=True)
    assert _indices(test) == y[:6].tolist()
    xb, _ = next(iter(test))
    torch.testing.assert_close(xb, (x[:4].float() / 255 - 0.5) / 0.5)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_batches_equal_cpu_batches():
    x = torch.randint(0, 256, (64, 3, 8, 8), dtype=torch.uint8)
    y = torch.randint(0, 10, (64,))
    kw = {"batch_size": 16, "augment": True, "mean": (0.4,) * 3, "std": (0.2,) * 3, "seed": 9}
    cpu, gpu = DeviceLoader(x, y, **kw), DeviceLoader(x, y, device="cuda", **kw)
    for (xc, yc), (xg, yg) in zip(cpu, gpu, strict=True):
        assert xg.device.type == "cuda"
        torch.testing.assert_close(xg.cpu(), xc)
        assert torch.equal(yg.cpu(), yc)
