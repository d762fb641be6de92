"""Issue 10, item 12: training killed with SIGKILL at random moments resumes exactly.

A classifier, a detector and an AlphaZero agent, each with a tiny config, are trained by
`lecturelab train ... --out F` in a forked child process (the CLI's own code path; a fork costs
milliseconds where a fresh interpreter costs seconds of imports) and killed with SIGKILL after a
random delay; after each kill the folder must be one that `eval` (for the agent: `play`'s
loader) reads, and the run is restarted with `--resume` (or afresh if no checkpoint was written
yet). When the run finally completes, its weights must equal, bit for bit, those of the same
command never interrupted. LECTURELAB_KILLS kills per kind: 2 in `make test`, 30 in
`make stress` (marker `stress`).
"""

import json
import multiprocessing
import os
import random
import signal
import sys
import time
from pathlib import Path

import pytest
import torch

from lecturelab.train.checkpoint import POINTER, load_checkpoint

KILLS = int(os.environ.get("LECTURELAB_KILLS", "2"))  # per kind of training

RUNS = {  # kind -> the training command, tiny; its folder is appended as --out
    "classifier": ["train", "mlp", "--data", "digits", "--epochs", "10", "--batch-size", "32",
                   "--subset", "300", "--lr", "0.05", "--seed", "3", "--device", "cpu"],
    "detector": ["train", "retinanet", "--profile", "smoke", "--steps", "10", "--batch-size",
                 "2", "--seed", "1", "--device", "cpu"],
    "alphazero": ["train", "alphazero", "--game", "tictactoe", "--profile", "smoke",
                  "--iterations", "6", "--seed", "2", "--device", "cpu"],
}


@pytest.fixture(scope="module", autouse=True)
def warm_imports():
    """Import (and build caches) in this process once, so that no forked child pays for it."""
    import lecturelab.cli  # noqa: F401
    from lecturelab.cli.detectors import scene_record
    from lecturelab.data import load_dataset
    from lecturelab.detection.evaluation import coco_evaluate  # noqa: F401
    from lecturelab.detection.recipes import scene_tensors
    from lecturelab.games.agent import game_record
    from lecturelab.train.recipes import detector_recipe

    load_dataset("digits")
    scene_record(scene_tensors(detector_recipe("smoke")[0], 0))
    game_record("tictactoe")


def cli_child(args: list[str]) -> None:
    """`lecturelab ARGS` in a forked child: one torch thread, output discarded."""
    sys.stdout = sys.stderr = open(os.devnull, "w")
    torch.set_num_threads(1)
    from lecturelab.cli import main

    sys.argv = ["lecturelab", *args]
    main()


def start(args: list[str]) -> multiprocessing.Process:
    child = multiprocessing.get_context("fork").Process(target=cli_child, args=(args,))
    child.start()
    return child


def run_whole(args: list[str]) -> float:
    """Run to the end; the seconds it took."""
    begun = time.perf_counter()
    child = start(args)
    child.join(timeout=300)
    assert child.exitcode == 0, f"{args} exited with {child.exitcode}"
    return time.perf_counter() - begun


def readable(kind: str, folder: Path) -> None:
    """What `lecturelab eval FOLDER` (for an agent, `play --checkpoint`) reads must load."""
    if not (folder / POINTER).exists():
        return  # killed before the first checkpoint: nothing to read, nothing to resume
    if kind == "classifier":
        from lecturelab.train.api import evaluate_checkpoint

        assert 0 <= evaluate_checkpoint(folder)["test_acc"] <= 1
    elif kind == "detector":
        from lecturelab.cli.detectors import eval_detector_command

        assert "AP" in eval_detector_command(folder, device="cpu")
    else:
        from lecturelab.games.agent import Agent

        Agent.from_checkpoint(folder, num_simulations=2)


def kill_and_resume(kind: str, args: list[str], folder: Path, seconds: float,
                    rng: random.Random, kills: int) -> int:
    """Kill the run in `folder` `kills` times at random moments, resuming each time, then let
    it finish; returns the number of kills that struck a running training."""
    struck = 0
    for _ in range(kills):
        resume = ["--resume"] if (folder / POINTER).exists() else []
        child = start([*args, "--out", str(folder), *resume])
        child.join(timeout=rng.uniform(0.0, seconds))
        if child.exitcode is None:
            os.kill(child.pid, signal.SIGKILL)
            child.join()
            struck += 1
        else:
            assert child.exitcode == 0, f"{kind} exited with {child.exitcode}"
            break
        readable(kind, folder)
    resume = ["--resume"] if (folder / POINTER).exists() else []
    child = start([*args, "--out", str(folder), *resume])
    child.join(timeout=300)
    assert child.exitcode == 0, f"resumed {kind} exited with {child.exitcode}"
    return struck


@pytest.mark.stress
@pytest.mark.parametrize("kind", list(RUNS))
def test_sigkill_at_random_moments_then_resume_equals_an_uninterrupted_run(kind, tmp_path):
    args = RUNS[kind]
    seconds = run_whole([*args, "--out", str(tmp_path / "whole")])
    whole = load_checkpoint(tmp_path / "whole").model_state
    rng = random.Random(f"{kind}-{os.environ.get('LECTURELAB_KILLS', 'test')}")
    struck, chain = 0, 0
    while struck < KILLS:  # a run that ends before its kills come starts a new chain
        chain += 1
        folder = tmp_path / f"killed-{chain}"
        struck += kill_and_resume(kind, args, folder, seconds, rng, KILLS - struck)
        final = load_checkpoint(folder)
        assert final.model_state.keys() == whole.keys()
        assert all(torch.equal(final.model_state[k], whole[k]) for k in whole), \
            f"{kind}: resumed weights differ from the uninterrupted run's (chain {chain})"
        readable(kind, folder)
        assert not list(folder.rglob("*.tmp"))
        if kind == "classifier":  # the metrics log, rewritten from the resumed history
            rows = (folder / "metrics.jsonl").read_text().splitlines()
            assert [json.loads(row)["epoch"] for row in rows] == list(range(1, 11))
    print(f"{kind}: {struck} kills over {chain} chain(s); uninterrupted run {seconds:.2f} s")
