"""Exact resume: a run killed with SIGKILL and resumed equals an uninterrupted run."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file

ARGS = ["train", "mlp", "--data", "digits", "--epochs", "30", "--batch-size", "32",
        "--lr", "0.05", "--seed", "3", "--device", "cpu"]


def lecturelab(*args: str) -> subprocess.Popen:
    code = "from lecturelab.cli import main; main()"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-c", code, *args], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def final_weights(folder: Path) -> dict[str, torch.Tensor]:
    pointer = json.loads((folder / "checkpoint.json").read_text())
    return {k: v for k, v in load_file(str(folder / pointer["tensors"])).items()
            if k.startswith("model.")}


def epoch_of(folder: Path) -> int:
    try:
        return json.loads((folder / "checkpoint.json").read_text())["epoch"]
    except (FileNotFoundError, json.JSONDecodeError):
        return 0


def test_sigkill_then_resume_matches_uninterrupted_run(tmp_path):
    whole, killed = tmp_path / "whole", tmp_path / "killed"
    assert lecturelab(*ARGS, "--out", str(whole)).wait(timeout=300) == 0

    proc = lecturelab(*ARGS, "--out", str(killed))
    deadline = time.monotonic() + 120
    while epoch_of(killed) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the run ended before it could be killed"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    stopped_at = epoch_of(killed)
    assert 3 <= stopped_at < 30

    resumed = lecturelab(*ARGS, "--out", str(killed), "--resume")
    assert resumed.wait(timeout=300) == 0, resumed.stderr.read()
    a, b = final_weights(whole), final_weights(killed)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    history = [json.loads(line) for line in (killed / "metrics.jsonl").read_text().splitlines()]
    assert [row["epoch"] for row in history] == list(range(1, 31))
