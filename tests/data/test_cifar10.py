"""cifar10 from zips, image folders and python batches; errors, caching and the shipped subset."""

import io
import os
import pickle
import re
import zipfile

import numpy as np
import pytest
import torch
from PIL import Image

import lecturelab.data.cifar10 as cifar10_module
from lecturelab.data import load_dataset
from lecturelab.data.cifar10_files import CLASSES

# (split, class, file name, grey level): a few solid images, JPEG keeps flat colours near-exact
IMAGES = [("train", "cat", "0000.jpg", 40), ("train", "cat", "0001.jpg", 80),
          ("train", "airplane", "0000.jpg", 120), ("test", "truck", "0000.jpg", 200)]


@pytest.fixture(autouse=True)
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("LECTURELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("LECTURELAB_CIFAR10", raising=False)
    return tmp_path / "cache"


def jpeg(level, size=32):
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (level, level, level)).save(buf, format="JPEG", quality=95)
    return buf.getvalue()


def write_zip(path, prefix="", extra=()):
    with zipfile.ZipFile(path, "w") as z:
        for split, cls, name, level in IMAGES:
            z.writestr(f"{prefix}{split}/{cls}/{name}", jpeg(level))
        for name, data in extra:
            z.writestr(f"{prefix}{name}", data)
    return path


def check_tiny(data):
    assert data.x_train.shape == (3, 3, 32, 32) and data.x_train.dtype == torch.uint8
    assert data.x_test.shape == (1, 3, 32, 32)
    assert data.y_train.tolist() == [0, 3, 3] and data.y_test.tolist() == [9]  # CIFAR labels
    levels = data.x_train.float().mean((1, 2, 3)).tolist() + [data.x_test.float().mean().item()]
    assert levels == pytest.approx([120, 40, 80, 200], abs=2)
    assert data.classes == CLASSES and data.num_classes == 10
    assert data.mean == pytest.approx((0.4914, 0.4822, 0.4465))


@pytest.mark.parametrize("prefix", ["", "cifar10/"])
def test_zip_with_and_without_top_folder(tmp_path, prefix):
    path = write_zip(tmp_path / "c.zip", prefix, extra=[("README.txt", b"hi")])
    data = load_dataset("cifar10", source=path)
    check_tiny(data)
    assert data.source == str(path.resolve())


def test_image_folder(tmp_path):
    for split, cls, name, level in IMAGES:
        (tmp_path / "c" / split / cls).mkdir(parents=True, exist_ok=True)
        (tmp_path / "c" / split / cls / name).write_bytes(jpeg(level))
    check_tiny(load_dataset("cifar10", source=str(tmp_path / "c")))


@pytest.mark.parametrize("inner", ["", "cifar-10-batches-py"])
def test_python_batches(tmp_path, inner):
    rng = np.random.default_rng(0)
    folder = tmp_path / "py" / inner
    folder.mkdir(parents=True)
    batches = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batches[name] = {b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                         b"labels": [i % 10, (i + 5) % 10]}
        (folder / name).write_bytes(pickle.dumps(batches[name]))
    data = load_dataset("cifar10", source=tmp_path / "py")
    assert data.x_train.shape == (10, 3, 32, 32) and data.x_test.shape == (2, 3, 32, 32)
    assert data.y_train.tolist() == [0, 5, 1, 6, 2, 7, 3, 8, 4, 9]
    first = batches["data_batch_1"][b"data"][0]
    assert torch.equal(data.x_train[0, 0].flatten(), torch.from_numpy(first[:1024]))  # red plane
    assert torch.equal(data.x_train[0, 2, 31], torch.from_numpy(first[-32:]))  # blue, last row


def test_corrupt_jpeg_names_the_file(tmp_path):
    good = jpeg(10)
    path = write_zip(tmp_path / "bad.zip", extra=[("train/cat/0042.jpg", good[: len(good) // 2])])
    where = re.escape(str(path.resolve()))
    with pytest.raises(ValueError, match=f"cannot decode train/cat/0042.jpg in {where}: "):
        load_dataset("cifar10", source=path)
    path = write_zip(tmp_path / "junk.zip", extra=[("test/dog/7.jpg", b"not an image")])
    with pytest.raises(ValueError, match="cannot decode test/dog/7.jpg in .*junk.zip"):
        load_dataset("cifar10", source=path)


def test_wrong_size_and_unknown_class(tmp_path):
    path = write_zip(tmp_path / "big.zip", extra=[("train/dog/1.jpg", jpeg(10, size=64))])
    with pytest.raises(ValueError, match="train/dog/1.jpg in .*big.zip must be 32x32, got 64x64"):
        load_dataset("cifar10", source=path)
    path = write_zip(tmp_path / "cls.zip", extra=[("train/cow/1.jpg", jpeg(10))])
    with pytest.raises(ValueError, match="unknown class folder 'cow'"):
        load_dataset("cifar10", source=path)
    (tmp_path / "not.zip").write_bytes(b"plain")
    with pytest.raises(ValueError, match="is a file but not a zip"):
        load_dataset("cifar10", source=tmp_path / "not.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no CIFAR-10 images"):
        load_dataset("cifar10", source=tmp_path / "empty")


def test_missing_sources(tmp_path, monkeypatch):
    with pytest.raises(FileNotFoundError, match="CIFAR-10 source .*nowhere.zip does not exist"):
        load_dataset("cifar10", source=tmp_path / "nowhere.zip")
    monkeypatch.setenv("LECTURELAB_CIFAR10", str(tmp_path / "gone"))
    with pytest.raises(FileNotFoundError, match="\\$LECTURELAB_CIFAR10 .*gone does not exist"):
        load_dataset("cifar10")


def test_search_order(tmp_path, monkeypatch):
    env_zip = write_zip(tmp_path / "env.zip")
    monkeypatch.setenv("LECTURELAB_CIFAR10", str(env_zip))
    assert cifar10_module.find_source() == env_zip.resolve()
    assert cifar10_module.find_source("subset") == cifar10_module.SUBSET.resolve()
    monkeypatch.delenv("LECTURELAB_CIFAR10")
    shared = tmp_path / "shared" / "data" / "test-only.zip"
    shared.parent.mkdir(parents=True)
    shared.write_bytes(b"")
    monkeypatch.setattr(cifar10_module, "SHARED", shared.relative_to(tmp_path))
    (tmp_path / "checkout").mkdir()
    monkeypatch.chdir(tmp_path / "checkout")
    assert cifar10_module.find_source() == shared.resolve()  # the cwd's ../shared
    monkeypatch.chdir(tmp_path)
    assert cifar10_module.find_source() == cifar10_module.SUBSET.resolve()


def test_decoded_once_then_cached(tmp_path, cache, monkeypatch):
    path = write_zip(tmp_path / "c.zip")
    first = load_dataset("cifar10", source=path)
    assert len(list(cache.glob("cifar10-*.npz"))) == 1

    def no_decoding(_):
        raise AssertionError("decoded again")

    monkeypatch.setattr(cifar10_module, "read_cifar10", no_decoding)
    assert torch.equal(load_dataset("cifar10", source=path).x_train, first.x_train)
    os.utime(path, ns=(0, 0))  # a changed source gets a new cache entry
    with pytest.raises(AssertionError, match="decoded again"):
        load_dataset("cifar10", source=path)


def test_unreadable_cache_is_rebuilt(tmp_path, cache):
    path = write_zip(tmp_path / "c.zip")
    load_dataset("cifar10", source=path)
    (cached,) = cache.glob("cifar10-*.npz")
    cached.write_bytes(b"garbage")
    check_tiny(load_dataset("cifar10", source=path))
    assert cached.stat().st_size > 1000


def test_shipped_subset():
    data = load_dataset("cifar10", source="subset")
    assert data.source.endswith("cifar10-subset.zip")
    assert data.x_train.shape == (5000, 3, 32, 32) and data.x_test.shape == (1000, 3, 32, 32)
    assert torch.bincount(data.y_train).tolist() == [500] * 10
    assert torch.bincount(data.y_test).tolist() == [100] * 10
    means = data.x_train.float().div(255).mean((0, 2, 3))
    torch.testing.assert_close(means, torch.tensor(data.mean), atol=0.02, rtol=0)
