"""Training folders are trusted no further than they can be checked: sha256 and size of every
weights file, tensor paths confined to checkpoints/, one writer at a time (a lock), the JSON
as the commit point, stale temporaries swept and the umask's permissions (issue 10: 2, 4, 6, 7)."""

import hashlib
import json
import os
import sys
from pathlib import Path

import pytest
import torch

import lecturelab.train.checkpoint as checkpoint_module
from lecturelab.cli import main
from lecturelab.errors import LabError
from lecturelab.train.checkpoint import (
    POINTER,
    Checkpoint,
    load_checkpoint,
    save_checkpoint,
    training_folder,
)


def save_epochs(folder: Path, epochs: int, **kwargs) -> None:
    for epoch in range(1, epochs + 1):
        save_checkpoint(folder, Checkpoint({"w": torch.full((4096,), float(epoch))},
                                           {"kind": "classifier", "epoch": epoch}), **kwargs)


def pointer(folder: Path) -> dict:
    return json.loads((folder / POINTER).read_text())


def run_cli(args, monkeypatch, capsys) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["lecturelab", *args])
    with pytest.raises(SystemExit) as done:
        main()
    return done.value.code, capsys.readouterr().err


# item 4: checksums, and the last N files kept
def test_every_kept_weights_file_is_listed_with_its_sha256_and_size(tmp_path):
    save_epochs(tmp_path, 3)
    meta = pointer(tmp_path)
    assert [f["path"] for f in meta["files"]] == ["checkpoints/epoch-0003.safetensors",
                                                  "checkpoints/epoch-0002.safetensors"]
    for f in meta["files"]:
        data = (tmp_path / f["path"]).read_bytes()
        assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["size"] == len(data)
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "epoch-0002.safetensors", "epoch-0003.safetensors"]
    save_epochs(tmp_path / "three", 4, keep=3)
    assert len(pointer(tmp_path / "three")["files"]) == 3
    assert len(list((tmp_path / "three" / "checkpoints").iterdir())) == 3


def test_damaged_weights_are_refused_in_one_line_naming_the_intact_previous_file(tmp_path):
    save_epochs(tmp_path, 3)
    newest = tmp_path / "checkpoints" / "epoch-0003.safetensors"
    with open(newest, "r+b") as f:  # 4 KB overwritten in place: the size is unchanged
        f.seek(200)
        f.write(b"\0" * 4096)
    with pytest.raises(LabError) as error:
        load_checkpoint(tmp_path)
    message = str(error.value)
    assert "checkpoints/epoch-0003.safetensors: sha256 mismatch (the file was changed or " \
           "damaged)" in message and "\n" not in message
    assert "the previous checkpoint checkpoints/epoch-0002.safetensors is intact" in message
    newest.write_bytes(newest.read_bytes()[:100])
    (tmp_path / "checkpoints" / "epoch-0002.safetensors").unlink()
    with pytest.raises(LabError, match=r"epoch-0003.safetensors: size 100 bytes, expected .*"
                                       r"no intact earlier checkpoint"):
        load_checkpoint(tmp_path)


def test_a_damaged_checkpoint_fails_eval_with_exit_code_2(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "mlp"
    code, err = run_cli(["train", "mlp", "--data", "digits", "--epochs", "1", "--out",
                         str(folder), "--device", "cpu"], monkeypatch, capsys)
    assert code == 0, err
    weights = folder / pointer(folder)["tensors"]
    weights.write_bytes(weights.read_bytes()[:-4096] + b"\xff" * 4096)
    code, err = run_cli(["eval", str(folder), "--device", "cpu"], monkeypatch, capsys)
    assert code == 2 and "sha256 mismatch" in err and len(err.strip().splitlines()) == 1


# item 2: tensor paths stay inside checkpoints/, and only files there are ever deleted
@pytest.mark.parametrize("name", ["/etc/passwd", "../victim/w.safetensors",
                                  "checkpoints/../../victim/w.safetensors",
                                  "w.safetensors", "checkpoints/sub/../../w.safetensors"])
def test_tensor_paths_outside_checkpoints_are_refused(tmp_path, name):
    folder = tmp_path / "run"
    save_epochs(folder, 1)
    meta = pointer(folder)
    for where in ("tensors", "files"):
        bad = ({**meta, "tensors": name, "files": [{**meta["files"][0], "path": name}]}
               if where == "tensors" else {**meta, "files": meta["files"] + [
                   {**meta["files"][0], "path": name}]})
        (folder / POINTER).write_text(json.dumps(bad))
        with pytest.raises(LabError, match="outside the folder's checkpoints/"):
            load_checkpoint(folder)


def test_saving_never_deletes_a_file_outside_checkpoints(tmp_path):
    victim = tmp_path / "victim" / "checkpoints" / "epoch-0001.safetensors"
    save_epochs(tmp_path / "victim", 1)
    fork = tmp_path / "fork"
    fork.mkdir()
    meta = pointer(tmp_path / "victim")
    for name in (str(victim), "../victim/checkpoints/epoch-0001.safetensors"):
        (fork / POINTER).write_text(json.dumps({**meta, "tensors": name, "files": [
            {**meta["files"][0], "path": name}]}))
        save_epochs(fork, 3)
        assert victim.is_file()
    assert load_checkpoint(tmp_path / "victim").meta["epoch"] == 1


# item 6: one writer, no silent overwrite, the JSON as the commit point
def test_a_second_run_into_a_locked_folder_fails_at_once(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "run"
    with training_folder(folder):
        with pytest.raises(LabError, match=f"{folder} is in use by another training run"):
            with training_folder(folder):
                pass
        code, err = run_cli(["train", "mlp", "--data", "digits", "--epochs", "1", "--out",
                             str(folder), "--device", "cpu"], monkeypatch, capsys)
        assert code == 2 and str(folder / ".lock") in err and len(err.strip().splitlines()) == 1
    assert not (folder / POINTER).exists()
    with training_folder(folder):  # released at exit
        pass


def test_an_existing_checkpoint_needs_resume_or_force(tmp_path, monkeypatch, capsys):
    save_epochs(tmp_path, 2)
    with pytest.raises(LabError, match="already holds a checkpoint; pass --resume"):
        with training_folder(tmp_path):
            pass
    with training_folder(tmp_path, resume=True):
        assert load_checkpoint(tmp_path).meta["epoch"] == 2
    with pytest.raises(LabError, match="nothing to resume"):
        with training_folder(tmp_path / "empty", resume=True):
            pass
    with training_folder(tmp_path, force=True):
        assert not (tmp_path / POINTER).exists()
        assert list((tmp_path / "checkpoints").iterdir()) == []
    for kind in (["mlp", "--data", "digits", "--epochs", "1", "--device", "cpu"],
                 ["retinanet", "--profile", "smoke", "--device", "cpu"],
                 ["alphazero", "--game", "tictactoe", "--profile", "smoke", "--device", "cpu"]):
        save_epochs(tmp_path / "held", 1)
        code, err = run_cli(["train", *kind, "--out", str(tmp_path / "held")], monkeypatch,
                            capsys)
        assert code == 2 and "already holds a checkpoint" in err and "--force" in err


def test_force_replaces_a_classifier_run(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "mlp"
    args = ["train", "mlp", "--data", "digits", "--epochs", "1", "--out", str(folder),
            "--device", "cpu"]
    assert run_cli(args, monkeypatch, capsys)[0] == 0
    save_epochs(folder, 5)  # something else's epoch 5 must not survive --force
    code, err = run_cli([*args, "--force"], monkeypatch, capsys)
    assert code == 0, err
    assert pointer(folder)["epoch"] == 1 and len(pointer(folder)["files"]) == 1
    assert [p.name for p in (folder / "checkpoints").iterdir()] == ["epoch-0001.safetensors"]


def test_the_weights_are_written_before_the_json_and_a_failure_keeps_the_old_checkpoint(
        tmp_path, monkeypatch):
    save_epochs(tmp_path, 1)
    written = []
    real_atomic_write = checkpoint_module.atomic_write
    monkeypatch.setattr(checkpoint_module, "atomic_write",
                        lambda path, write: written.append(Path(path).name)
                        or real_atomic_write(path, write))

    def json_fails(path, obj):
        written.append(Path(path).name)
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint_module, "write_json", json_fails)
    with pytest.raises(OSError, match="disk full"):
        save_epochs(tmp_path, 2)
    assert written == ["epoch-0001.safetensors", POINTER]
    ckpt = load_checkpoint(tmp_path)
    assert ckpt.meta["epoch"] == 1 and torch.equal(ckpt.model_state["w"], torch.ones(4096))


# item 7: stale temporaries swept, the folder fsynced before unlinks, the umask's permissions
def test_stale_temporaries_are_swept_when_a_run_takes_the_folder(tmp_path):
    stale = [tmp_path / ".checkpoint.json.abcd1234.tmp",
             tmp_path / "checkpoints" / ".epoch-0002.safetensors.x1y2z3w4.tmp"]
    stale[1].parent.mkdir()
    for p in stale:
        p.write_bytes(b"half")
    with training_folder(tmp_path):
        assert not any(p.exists() for p in stale)


def test_the_folder_is_fsynced_before_old_weights_are_unlinked(tmp_path, monkeypatch):
    save_epochs(tmp_path, 2)
    events = []
    monkeypatch.setattr(checkpoint_module, "fsync_folder",
                        lambda folder: events.append(("fsync", Path(folder))))
    real_unlink = Path.unlink
    monkeypatch.setattr(Path, "unlink", lambda self, missing_ok=False: events.append(
        ("unlink", self.name)) or real_unlink(self, missing_ok=missing_ok))
    save_epochs(tmp_path, 3)  # epoch 3 drops epoch 1 (keep 2); the rewrites drop nothing
    unlinks = [i for i, e in enumerate(events) if e[0] == "unlink"]
    assert [events[i][1] for i in unlinks] == ["epoch-0001.safetensors"]
    assert ("fsync", tmp_path) in events[:unlinks[0]]


def test_weights_files_keep_the_umask_permissions(tmp_path):
    old = os.umask(0o022)
    try:
        save_epochs(tmp_path, 1)
    finally:
        os.umask(old)
    weights = tmp_path / "checkpoints" / "epoch-0001.safetensors"
    assert os.stat(weights).st_mode & 0o777 == 0o644
    assert os.stat(tmp_path / POINTER).st_mode & 0o777 == 0o644
