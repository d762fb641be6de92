"""The CLI: one command per kind of training, and user errors as one line with exit code 2."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lecturelab
from lecturelab.cli import main
from lecturelab.cli.training import KINDS, kind_of


def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    """`lecturelab ARGS` in a fresh process that imports this checkout's lecturelab."""
    code = "from lecturelab.cli import main; main()"
    env = {**os.environ, "PYTHONPATH": str(Path(lecturelab.__file__).parents[1])}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, env=env)


def run_in_process(args, monkeypatch, capsys) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `lecturelab ARGS`, run in this process (no start-up)."""
    monkeypatch.setattr(sys, "argv", ["lecturelab", *args])
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


@pytest.mark.parametrize(("args", "message"), [
    (["run", "l2.xr"], "unknown experiment 'l2.xr'; did you mean l2.xor"),
    (["run", "--all", "--profile", "fast"], "unknown profile 'fast'"),
    (["run"], "name experiments to run"),
    (["run", "--device", "tpu", "l2.xor"], "unknown device 'tpu'"),
    (["run", "--bogus"], "No such option: --bogus"),
    (["run", "--threads", "-1", "l2.xor"], "threads must be 0"),
    (["run", "--jobs", "-1", "l2.xor"], "--jobs must be 0"),
    (["report", "no/such/run"], "is not a run folder"),
    (["eval", "no/such/checkpoint"], "no checkpoint at no/such/checkpoint"),
    (["train", "resnt20", "--data", "digits"], "unknown model 'resnt20'; did you mean resnet20"),
    (["train", "retinanett"], "unknown model 'retinanett'; did you mean retinanet"),
    (["train", "mlp", "--data", "digitz"], "unknown dataset 'digitz'; did you mean digits"),
    (["train", "mlp"], "needs --data"),
    (["train", "mlp", "--data", "shapes"], "shapes is not a classification dataset"),
    (["train", "mlp", "--data", "digits", "--augment"], "digits declares no augmentation"),
    (["train", "mlp", "--data", "digits", "--epochs", "-1"], "'--epochs'"),
    (["train", "mlp", "--data", "digits", "--subset", "0"], "'--subset'"),
    (["train", "mlp", "--data", "digits", "--subset", "5000"], "subset must lie in [1, 1437]"),
    (["train", "mlp", "--data", "digits", "--lr", "nan"], "'--lr': must be a number in (0, 10]"),
    (["train", "mlp", "--data", "digits", "--lr", "1e9"], "'--lr': must be a number in (0, 10]"),
    (["train", "mlp", "--data", "digits", "--seed", "-1"], "'--seed'"),
    (["train", "mlp", "--data", "digits", "--schedule", "linear"], "'--schedule'"),
    (["train", "mlp", "--data", "digits", "--profile", "smoke"], "'--profile'"),
    (["train", "mlp", "--data", "digits", "--steps", "5"],
     "--steps does not apply to classifier training (mlp); it is an option of flownet and "
     "detector"),
    (["train", "mlp", "--data", "digits", "--bogus", "1"],
     "no such option --bogus for classifier training (mlp)"),
    (["train", "retinanet", "--epochs", "3"],
     "--epochs does not apply to detector training (retinanet)"),
    (["train", "retinanet", "--data", "digits"], "detectors train on --data shapes"),
    (["train", "alphazero", "--game", "tictactoe", "--lr", "0.1"],
     "--lr does not apply to alphazero training"),
    (["train", "alphazero", "--game", "tictactoe", "--resume", "--force"],
     "--resume continues the checkpoint in --out, --force replaces it"),
    (["train", "alphazero"], "needs --game"),
    (["train", "alphazero", "--game", "chess"], "unknown game 'chess'"),
    (["train", "alphazero", "--game", "tictactoe", "--iterations", "0"], "'--iterations'"),
    (["play", "chess"], "chess"),
    (["play", "tictactoe", "--checkpoint", "no/such"], "no/such"),
])
def test_user_errors_are_one_line_with_exit_code_2(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_in_process(args, monkeypatch, capsys)
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], err


def test_out_that_is_a_file_is_refused(tmp_path, monkeypatch, capsys):
    (tmp_path / "file").write_text("x")
    for name, extra in (("mlp", ["--data", "digits"]), ("retinanet", []),
                        ("alphazero", ["--game", "tictactoe"])):
        code, _, err = run_in_process(["train", name, *extra, "--out", str(tmp_path / "file")],
                                      monkeypatch, capsys)
        assert code == 2 and "'--out'" in err and "is a file" in err, err


def test_every_name_has_one_kind_and_kinds_share_the_common_options():
    assert kind_of("mlp").name == "classifier" and kind_of("resnet20").name == "classifier"
    assert kind_of("mask_rcnn").name == "detector" and kind_of("alphazero").name == "alphazero"
    for kind in KINDS:
        assert {"--device", "--seed", "--out", "--profile"} <= kind.options(), kind.name
    names = [n for kind in KINDS for n in kind.names()]
    assert len(names) == len(set(names))


def test_train_help_lists_the_kinds_and_a_kind_shows_its_options(monkeypatch, capsys):
    code, out, _ = run_in_process(["train", "--help"], monkeypatch, capsys)
    assert code == 0 and all(kind.name in out for kind in KINDS)
    code, out, _ = run_in_process(["train", "retinanet", "--help"], monkeypatch, capsys)
    assert code == 0 and "--steps" in out and "--epochs" not in out


def test_list_shows_every_lecture2_experiment(monkeypatch, capsys):
    code, out, _ = run_in_process(["list", "--lecture", "2"], monkeypatch, capsys)
    assert code == 0
    assert "l2.xor" in out and "l2.backprop" in out


def test_train_then_eval_then_refuse_to_overwrite(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "mlp"
    code, _, err = run_in_process(["train", "mlp", "--data", "digits", "--epochs", "2", "--out",
                                   str(folder), "--device", "cpu"], monkeypatch, capsys)
    assert code == 0, err
    assert (folder / "metrics.jsonl").exists() and (folder / "checkpoint.json").exists()
    code, out, _ = run_in_process(["eval", str(folder), "--device", "cpu"], monkeypatch, capsys)
    assert code == 0 and "test_acc" in out
    code, _, err = run_in_process(["train", "mlp", "--data", "digits", "--out", str(folder)],
                                  monkeypatch, capsys)
    assert code == 2 and "already holds a checkpoint" in err


def test_bench_lists_and_names_unknown_benchmarks(monkeypatch, capsys):
    code, out, _ = run_in_process(["bench"], monkeypatch, capsys)
    assert code == 0 and "zoo_throughput" in out
    code, _, err = run_in_process(["bench", "zoo_throughpt"], monkeypatch, capsys)
    assert code == 2 and "did you mean zoo_throughput" in err


def test_train_alphazero_then_play_against_the_checkpoint(tmp_path, monkeypatch, capsys):
    folder = str(tmp_path / "az")
    code, _, err = run_in_process(["train", "alphazero", "--game", "tictactoe", "--profile",
                                   "smoke", "--out", folder, "--device", "cpu"],
                                  monkeypatch, capsys)
    assert code == 0, err
    monkeypatch.setattr(sys, "stdin", io.StringIO("x\n1\n1\n2\n3\n4\n5\n6\n7\n8\n9\n"))
    code, out, err = run_in_process(["play", "tictactoe", "--checkpoint", folder,
                                     "--simulations", "8"], monkeypatch, capsys)
    assert code == 0 and "the agent plays" in out, err
    code, _, err = run_in_process(["eval", folder], monkeypatch, capsys)
    assert code == 2 and f"lecturelab play tictactoe --checkpoint {folder}" in err
    code, _, err = run_in_process(["play", "connect4", "--checkpoint", folder], monkeypatch,
                                  capsys)
    assert code == 2 and "is a tictactoe agent" in err


def test_train_a_detector_on_shapes_then_eval_prints_the_coco_table(tmp_path, monkeypatch,
                                                                     capsys):
    folder = str(tmp_path / "retina")
    code, _, err = run_in_process(["train", "retinanet", "--data", "shapes", "--profile", "smoke",
                                   "--steps", "2", "--out", folder, "--device", "cpu"],
                                  monkeypatch, capsys)
    assert code == 0, err
    code, out, err = run_in_process(["eval", folder, "--device", "cpu"], monkeypatch, capsys)
    assert code == 0, err
    assert "AP50" in out and "COCO evaluation" in out
    code, _, err = run_in_process(["eval", folder, "--data", "digits"], monkeypatch, capsys)
    assert code == 2 and "--data does not apply to a detector" in err
    code, _, err = run_in_process(["play", "tictactoe", "--checkpoint", folder], monkeypatch,
                                  capsys)
    assert code == 2 and "holds a detector, not an AlphaZero agent" in err


def test_the_entry_point_runs_in_a_fresh_process(tmp_path):
    done = cli("train", "mlp", "--data", "digits", "--steps", "5", cwd=tmp_path)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip() == ("error: --steps does not apply to classifier training (mlp); "
                                   "it is an option of flownet and detector training")


def test_python_dash_m_runs_the_same_cli():
    env = {**os.environ, "PYTHONPATH": str(Path(lecturelab.__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "lecturelab", "run", "l2.xr"],
                          capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: unknown experiment 'l2.xr'")


def test_run_on_two_workers_writes_every_result_and_the_lab_book(tmp_path, monkeypatch, capsys):
    code, out, _ = run_in_process(["run", "l2.xor", "l2.backprop", "--profile", "smoke", "-j", "2",
                                   "--out", str(tmp_path)], monkeypatch, capsys)
    assert code in (0, None)
    assert "l2.xor" in out and "l2.backprop" in out and "lab book:" in out
    latest = tmp_path / "latest"
    assert (latest / "report.html").exists()
    assert {p.parent.name for p in latest.glob("*/result.json")} == {"l2.xor", "l2.backprop"}
