"""Issue 10, item 1: a crafted CIFAR-10 python batch cannot run code."""

import os
import pickle
import pickletools

import numpy as np
import pytest

from lecturelab.data.cifar10_files import read_python_batches
from lecturelab.errors import LabError


class MakeFolder:
    """Unpickling this calls os.mkdir(path): what a crafted batch could do with any function."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def write_batches(folder, first, protocol=4):
    rng = np.random.default_rng(0)
    folder.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batch = {b"batch_label": b"training batch", b"labels": [i, (i + 1) % 10],
                 b"data": rng.integers(0, 256, (2, 3072), dtype=np.uint8),
                 b"filenames": [b"a.png", b"b.png"]}
        if i == 0:
            batch = first(batch)
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))


def test_a_crafted_batch_is_refused_and_runs_nothing(tmp_path):
    marker = tmp_path / "the-pickle-ran"
    write_batches(tmp_path / "py", lambda batch: {**batch, b"labels": MakeFolder(marker)})
    with pytest.raises(LabError, match=r"refused CIFAR-10 batch .*data_batch_1: it holds "
                                       r"posix\.mkdir"):
        read_python_batches(tmp_path / "py")
    assert not marker.exists()


def test_a_crafted_numpy_reconstruction_is_refused(tmp_path):
    write_batches(tmp_path / "py", lambda batch: {**batch, b"data": np.array(["x"], object)})
    with pytest.raises(LabError, match="data_batch_1.*expected a pickled dict"):
        read_python_batches(tmp_path / "py")


@pytest.mark.parametrize("protocol", [0, 2, 4, 5])
def test_batches_of_every_pickle_protocol_still_load(tmp_path, protocol):
    write_batches(tmp_path / "py", lambda batch: batch, protocol)
    arrays = read_python_batches(tmp_path / "py")
    assert arrays["x_train"].shape == (10, 3, 32, 32) and arrays["x_train"].dtype == np.uint8
    assert arrays["y_train"].tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]


def test_a_python2_batch_with_numpy1_names_loads(tmp_path):
    """The real files were written by Python 2 and numpy 1: numpy.core.multiarray, str keys
    that load as bytes."""
    write_batches(tmp_path / "py", lambda batch: batch, protocol=2)
    path = tmp_path / "py" / "data_batch_1"
    old = path.read_bytes().replace(b"numpy._core.multiarray", b"numpy.core.multiarray")
    path.write_bytes(pickletools.optimize(old))
    assert read_python_batches(tmp_path / "py")["x_train"].shape == (10, 3, 32, 32)


def test_labels_outside_the_ten_classes_are_refused(tmp_path):
    write_batches(tmp_path / "py", lambda batch: {**batch, b"labels": [3, 10]})
    with pytest.raises(LabError, match=r"data_batch_1: 2 images need as many labels in 0\.\.9"):
        read_python_batches(tmp_path / "py")


def test_a_crafted_batch_in_lecturelab_cifar10_is_refused_by_load_dataset(tmp_path, monkeypatch):
    from lecturelab.data import load_dataset

    marker = tmp_path / "the-pickle-ran"
    write_batches(tmp_path / "py", lambda batch: MakeFolder(marker))
    monkeypatch.setenv("LECTURELAB_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("LECTURELAB_CIFAR10", str(tmp_path / "py"))
    with pytest.raises(LabError, match="refused CIFAR-10 batch"):
        load_dataset("cifar10")
    assert not marker.exists()
