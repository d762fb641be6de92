"""Issue 10, item 6 for the similarity trainers: `train simclr` / `train embedding` lock their
folder for the run and refuse one that holds a checkpoint unless --force (they do not resume)."""

import fcntl
import sys

import pytest

from lecturelab.cli import main
from lecturelab.cli.similarity import train_embedding_command
from lecturelab.errors import LabError
from lecturelab.train.checkpoint import LOCK, load_checkpoint

RUN = dict(data="digits", profile="smoke", batch_size=64, device="cpu", progress=False)


def test_a_folder_with_a_checkpoint_needs_force(tmp_path):
    train_embedding_command(out=tmp_path, **RUN)
    first = load_checkpoint(tmp_path).meta["seed"]
    with pytest.raises(LabError, match="already holds a checkpoint; pass --force to replace it"):
        train_embedding_command(out=tmp_path, **{**RUN, "seed": 1})
    assert load_checkpoint(tmp_path).meta["seed"] == first == 0
    train_embedding_command(out=tmp_path, force=True, **{**RUN, "seed": 1})
    assert load_checkpoint(tmp_path).meta["seed"] == 1
    assert len(list((tmp_path / "checkpoints").iterdir())) == 1


@pytest.mark.parametrize("name", ["simclr", "embedding"])
def test_a_folder_in_use_is_refused_in_one_line(tmp_path, monkeypatch, capsys, name):
    with open(tmp_path / LOCK, "a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        monkeypatch.setattr(sys, "argv", ["lecturelab", "train", name, "--data", "digits",
                                          "--profile", "smoke", "--out", str(tmp_path)])
        with pytest.raises(SystemExit) as done:
            main()
    err = capsys.readouterr().err
    assert done.value.code == 2 and err.count("\n") == 1, err
    assert "is in use by another training run" in err
    assert not (tmp_path / "checkpoint.json").exists()
