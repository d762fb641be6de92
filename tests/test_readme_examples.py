"""The README's training examples do what the README says (issue 9, "defaults that work").

Every `lecturelab train ...` line of the README must parse with its kind's options; the ones
that fit a test budget run here, in this process, with the README's exact options plus, where
the README promises no number, fewer rounds or steps (noted per example). The rest need a GPU
(`--profile full --device cuda`) or run elsewhere (--resume: tests/train/test_sigkill_faults.py; the
torchrun line: tests/train/test_loop.py); quick CIFAR-10 (5 epochs, about a minute) runs here for
one epoch on 1,000 images.
"""

import io
import json
import re
import shlex
import sys
from pathlib import Path

import pytest

from lecturelab.cli import main
from lecturelab.cli.training import kind_of
from lecturelab.data.cifar10 import SUBSET

README = Path(__file__).resolve().parents[1] / "README.md"


def readme_train_lines() -> list[str]:
    """Each `lecturelab train NAME ...` command of the README, its comment cut off."""
    lines = re.findall(r"^\s*(?:torchrun .*?-m lecturelab\.cli|lecturelab) (train .+)$",
                       README.read_text(), flags=re.M)
    commands = [" ".join(shlex.split(line.split("#")[0])) for line in lines]
    return [c for c in commands if "--help" not in c]


def lecturelab(line: str, monkeypatch, capsys) -> str:
    """Run `lecturelab LINE` in this process; its stdout, after asserting exit code 0."""
    monkeypatch.setattr(sys, "argv", ["lecturelab", *shlex.split(line)])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    assert done.value.code == 0, out.err
    return out.out


def final_test_acc(folder: Path) -> float:
    return json.loads((folder / "checkpoint.json").read_text())["history"][-1]["test_acc"]


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # default --out folders land in tmp_path/checkpoints
    return tmp_path


def test_every_readme_train_line_parses_with_its_kinds_options():
    lines = readme_train_lines()
    assert "train mlp --data digits --epochs 20" in lines
    for line in lines:
        _, name, *args = shlex.split(line)
        command = kind_of(name).click_command()
        command.make_context("lecturelab train", [name, *args])  # raises on a bad option


def test_mlp_on_digits_20_epochs_reaches_95_percent_and_eval_reads_it(workdir, monkeypatch,
                                                                      capsys):
    lecturelab("train mlp --data digits --epochs 20 --device cpu", monkeypatch, capsys)
    folder = workdir / "checkpoints" / "mlp-digits"
    assert final_test_acc(folder) >= 0.95
    shown = lecturelab("eval checkpoints/mlp-digits --device cpu", monkeypatch, capsys)
    acc = float(shown.split("test_acc ")[1].split()[0])
    assert acc == pytest.approx(final_test_acc(folder), abs=1e-4)


def test_resnet20_on_digits_is_sensible_in_3_epochs(workdir, monkeypatch, capsys):
    lecturelab("train resnet20 --data digits --epochs 3 --device cpu", monkeypatch, capsys)
    assert final_test_acc(workdir / "checkpoints" / "resnet20-digits") >= 0.85


def test_resnet20_on_cifar10_quick_recipe_learns(workdir, monkeypatch, capsys):
    # the README's quick run (5 epochs on 5,000 images, all 10,000 test images) shortened to 1
    # epoch on 1,000 images of the shipped subset, tested on its 1,000 test images
    monkeypatch.setenv("LECTURELAB_CIFAR10", str(SUBSET))
    lecturelab("train resnet20 --data cifar10 --epochs 1 --subset 1000 --device cpu",
               monkeypatch, capsys)
    state = json.loads((workdir / "checkpoints/resnet20-cifar10/checkpoint.json").read_text())
    assert state["config"]["augment"]  # CIFAR-10 declares crop + flip
    assert state["history"][-1]["test_acc"] > 0.12  # chance is 0.10


def test_alphazero_tictactoe_trains_and_play_and_eval_read_its_folder(workdir, monkeypatch,
                                                                      capsys):
    # the README promises a time (about 10 s), no strength: 2 of the quick profile's 12 rounds
    lecturelab("train alphazero --game tictactoe --iterations 2 --device cpu", monkeypatch,
               capsys)
    folder = "checkpoints/alphazero-tictactoe"
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(f"{cell}\n" for cell in range(1, 10))))
    shown = lecturelab(f"play tictactoe --checkpoint {folder} --simulations 8", monkeypatch,
                       capsys)
    assert "the agent plays" in shown
    monkeypatch.setattr(sys, "argv", ["lecturelab", "eval", folder])
    with pytest.raises(SystemExit) as done:
        main()
    assert done.value.code == 2
    assert f"lecturelab play tictactoe --checkpoint {folder}" in capsys.readouterr().err


def test_retinanet_on_shapes_trains_and_eval_prints_the_coco_table(workdir, monkeypatch, capsys):
    # the quick recipe (1,200 steps) shortened to 4 steps: the README promises a table, no AP
    trained = lecturelab("train retinanet --data shapes --steps 4 --device cpu", monkeypatch,
                         capsys)
    shown = lecturelab("eval checkpoints/retinanet-shapes --device cpu", monkeypatch, capsys)
    assert "COCO evaluation" in shown and "pycocotools" in shown and "AP50" in shown
    ap = [line for line in shown.splitlines() if "│ AP " in line]
    assert ap and ap[0] in trained  # eval rebuilds the detector that training scored
