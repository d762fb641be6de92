"""Issue 10, item 7: a rename is made durable, and a killed writer's temporaries are swept."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lecturelab
from lecturelab.io import atomic_write_text, sweep_stale_tmp, to_jsonable, write_json


def test_the_folder_is_fsynced_after_the_rename(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def spy(fd):
        synced.append((stat.S_ISDIR(os.fstat(fd).st_mode), (tmp_path / "r.json").exists()))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    atomic_write_text(tmp_path / "r.json", "{}")
    assert synced[0] == (False, False)  # the temporary file's data, before the rename
    assert synced[-1] == (True, True)  # then the folder, after the rename


def test_a_killed_writers_temporaries_are_swept_and_nothing_else(tmp_path):
    kill = ("import os, sys; from lecturelab.io import atomic_write; atomic_write(sys.argv[1], "
            "lambda tmp: (tmp.write_text('half'), os.kill(os.getpid(), 9)))")
    env = {**os.environ, "PYTHONPATH": str(Path(lecturelab.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-c", kill, str(tmp_path / "weights.safetensors")],
                          env=env)
    assert done.returncode == -9
    [left] = [p.name for p in tmp_path.iterdir()]
    assert left.startswith(".weights.safetensors.") and left.endswith(".tmp")
    keep = [".hidden", "notes.tmp", ".x.tmp", "result.json", ".a.toolong12.tmp"]
    for name in keep:
        (tmp_path / name).write_text("mine")
    (tmp_path / ".dir.abcdefgh.tmp").mkdir()
    swept = sweep_stale_tmp(tmp_path)
    assert [p.name for p in swept] == [left]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*keep, ".dir.abcdefgh.tmp"])
    assert sweep_stale_tmp(tmp_path / "absent") == []


def test_a_value_json_cannot_hold_is_named_by_its_place(tmp_path):
    with pytest.raises(TypeError, match=r"metrics\['sizes'\]\[1\] is a set, which JSON cannot"):
        to_jsonable({"sizes": [1, {2}]}, "metrics")
    with pytest.raises(TypeError, match=r"value\['a'\]\[1\] is a object, which JSON cannot"):
        write_json(tmp_path / "x.json", {"a": np.array(["text", object()])})
    assert not (tmp_path / "x.json").exists() and list(tmp_path.iterdir()) == []
