"""The CLI's user errors: exit code 2 and one line on stderr, never a traceback."""

import subprocess
import sys

import pytest


def cli(*args: str, cwd=None, stdin: str = "") -> subprocess.CompletedProcess:
    code = "from lecturelab.cli import main; main()"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          timeout=120, cwd=cwd, input=stdin)


@pytest.mark.parametrize(("args", "message"), [
    (["run", "l2.xr"], "unknown experiment 'l2.xr'; did you mean l2.xor"),
    (["run", "--all", "--profile", "fast"], "unknown profile 'fast'"),
    (["run"], "name experiments to run"),
    (["run", "--device", "tpu", "l2.xor"], "unknown device 'tpu'"),
    (["train", "resnt20", "--data", "digits"], "unknown model 'resnt20'"),
    (["train", "mlp", "--data", "digitz"], "unknown dataset 'digitz'; did you mean digits"),
    (["train", "mlp", "--data", "digits", "--epochs", "-1"], "epochs must be positive"),
    (["eval", "no/such/checkpoint"], "no checkpoint at no/such/checkpoint"),
    (["report", "no/such/run"], "is not a run folder"),
    (["run", "--bogus"], "No such option: --bogus"),
    (["run", "--threads", "-1", "l2.xor"], "threads must be 0"),
    (["train", "alphazero"], "needs --game"),
    (["train", "alphazero", "--game", "chess"], "chess"),
    (["train", "mlp"], "needs --data"),
    (["play", "chess"], "chess"),
    (["play", "tictactoe", "--checkpoint", "no/such"], "no/such"),
])
def test_user_errors_are_one_line_with_exit_code_2(args, message, tmp_path):
    out = cli(*args, cwd=tmp_path)
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_list_shows_every_lecture2_experiment():
    out = cli("list", "--lecture", "2")
    assert out.returncode == 0
    assert "l2.xor" in out.stdout and "l2.backprop" in out.stdout


def test_train_then_eval_then_refuse_to_overwrite(tmp_path):
    folder = tmp_path / "mlp"
    train = cli("train", "mlp", "--data", "digits", "--epochs", "2", "--out", str(folder),
                "--device", "cpu")
    assert train.returncode == 0, train.stderr
    assert (folder / "metrics.jsonl").exists() and (folder / "checkpoint.json").exists()
    ev = cli("eval", str(folder), "--device", "cpu")
    assert ev.returncode == 0 and "test_acc" in ev.stdout
    again = cli("train", "mlp", "--data", "digits", "--out", str(folder))
    assert again.returncode == 2 and "already holds a checkpoint" in again.stderr


def test_bench_lists_and_names_unknown_benchmarks():
    listed = cli("bench")
    assert listed.returncode == 0 and "zoo_throughput" in listed.stdout
    unknown = cli("bench", "zoo_throughpt")
    assert unknown.returncode == 2 and "did you mean zoo_throughput" in unknown.stderr


def test_train_alphazero_then_play_against_the_checkpoint(tmp_path):
    folder = tmp_path / "az"
    train = cli("train", "alphazero", "--game", "tictactoe", "--profile", "smoke",
                "--out", str(folder), "--device", "cpu")
    assert train.returncode == 0, train.stderr
    game = cli("play", "tictactoe", "--checkpoint", str(folder), "--simulations", "8",
               stdin="x\n1\n1\n2\n3\n4\n5\n6\n7\n8\n9\n")
    assert game.returncode == 0, game.stderr
    assert "the agent plays" in game.stdout


def test_train_a_detector_on_shapes_then_eval_prints_the_coco_table(tmp_path):
    folder = tmp_path / "retina"
    train = cli("train", "retinanet", "--data", "shapes", "--profile", "smoke", "--steps", "2",
                "--out", str(folder), "--device", "cpu")
    assert train.returncode == 0, train.stderr
    ev = cli("eval", str(folder), "--device", "cpu")
    assert ev.returncode == 0, ev.stderr
    assert "AP50" in ev.stdout and "COCO evaluation" in ev.stdout
    wrong = cli("train", "retinanett", "--data", "shapes")
    assert wrong.returncode == 2 and "did you mean retinanet" in wrong.stderr


def test_python_dash_m_runs_the_same_cli():
    done = subprocess.run([sys.executable, "-m", "lecturelab", "run", "l2.xr"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: unknown experiment 'l2.xr'")
