import os

import numpy as np
import pytest
import torch

from lecturelab.io import atomic_write, atomic_write_text, to_jsonable


def test_atomic_write_replaces_whole_and_honours_the_umask(tmp_path):
    path = atomic_write_text(tmp_path / "a" / "result.json", "first")
    atomic_write_text(path, "second")
    assert path.read_text() == "second"
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    assert [p.name for p in path.parent.iterdir()] == ["result.json"]


def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path):
    path = atomic_write_text(tmp_path / "result.json", "old")

    def crash(tmp):
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")

    with pytest.raises(RuntimeError):
        atomic_write(path, crash)
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["result.json"]


def test_to_jsonable_converts_arrays_scalars_and_non_finite_floats():
    out = to_jsonable({"t": torch.tensor([1.5]), "a": np.arange(2), "s": np.float32(2.0),
                       "nan": float("nan"), "tuple": (1, 2)})
    assert out == {"t": [1.5], "a": [0, 1], "s": 2.0, "nan": "nan", "tuple": [1, 2]}
