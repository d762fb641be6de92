"""PBT on Ray Tune: a few trials on a local Ray, and exploit restores another trial's checkpoint."""

from pathlib import Path

import pytest
import torch

from lecturelab.data import ClassificationData
from lecturelab.population.classifier import ClassifierTask, ClassifierTaskConfig
from lecturelab.population.pbt import Member
from lecturelab.population.ray_tune import load_member, save_member


def test_a_member_round_trips_through_its_checkpoint(tmp_path):
    x, y = torch.randn(80, 5), torch.randint(0, 2, (80,))
    data = ClassificationData("t", x[:60], y[:60], x[60:], y[60:], 2, ("a", "b"))
    task = ClassifierTask(data, ClassifierTaskConfig(width=8, batch_size=8, validation=10),
                          device=torch.device("cpu"))
    member = task.population(1, seed=0)[0]
    task.train(member, 3)
    member.steps = 3
    save_member(tmp_path, member, owner="trial_a", exploits=2)
    copy = Member(1, dict(member.hyperparams), None)
    assert load_member(tmp_path, copy) == ("trial_a", 2) and copy.steps == 3
    for key, value in member.state["model"].items():
        assert torch.equal(copy.state["model"][key], value)
    assert all(torch.equal(a, b) for a, b in zip(copy.state["momentum"],
                                                 member.state["momentum"], strict=True))
    task.train(copy, 2)  # a restored member trains on


def test_pbt_on_ray_tune_exploits_by_restoring_a_checkpoint(tmp_path: Path):
    pytest.importorskip("ray.tune", reason="the 'tune' extra (ray[tune]) is not installed")
    from lecturelab.population.ray_tune import tune_classifier

    rows = tune_classifier(members=2, steps=20, interval=10, storage=tmp_path,
                           cpus_per_trial=0.5, synch=True)
    assert len(rows) == 2 and all(r["steps"] == 20 for r in rows)
    assert any(r["exploits"] >= 1 for r in rows)  # some trial carries another's weights
