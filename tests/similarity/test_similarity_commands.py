"""train simclr / embedding at the smoke profile write metrics and a checkpoint that evaluates."""

import json

import pytest

from lecturelab.cli.similarity import (
    eval_similarity_command,
    load_similarity_model,
    train_embedding_command,
    train_simclr_command,
)


def test_simclr_writes_probe_accuracy_per_epoch_and_evaluates(tmp_path):
    rows = train_simclr_command(out=tmp_path, profile="smoke", epochs=2, batch_size=64,
                                device="cpu", progress=False)
    lines = (tmp_path / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(line)["epoch"] for line in lines] == [1, 2] == [r["epoch"] for r in rows]
    assert all(0 <= r["probe_acc"] <= 1 and 0 <= r["knn_acc"] <= 1 for r in rows)
    metrics = eval_similarity_command(tmp_path, device="cpu")
    assert {"recall_at_1", "precision_at_1", "map_at_r", "probe_acc"} <= set(metrics)


def test_embedding_checkpoint_round_trips(tmp_path):
    rows = train_embedding_command(out=tmp_path, data="digits", profile="smoke", batch_size=64,
                                   device="cpu", progress=False)
    model, meta = load_similarity_model(tmp_path)
    assert meta["kind"] == "embedding" and len(rows) == 1
    metrics = eval_similarity_command(tmp_path, device="cpu")
    assert metrics["recall_at_1"] == pytest.approx(rows[-1]["recall_at_1"])


def test_unknown_profile_and_miner_are_named(tmp_path):
    with pytest.raises(ValueError, match="profile must be one of"):
        train_simclr_command(out=tmp_path, profile="huge", progress=False)
    with pytest.raises(ValueError, match="unknown miner 'hardest'"):
        train_embedding_command(out=tmp_path, data="digits", profile="smoke", miner="hardest",
                                progress=False)


def test_similarity_checkpoints_are_recognised(tmp_path):
    from lecturelab.cli.similarity import is_similarity_checkpoint

    assert not is_similarity_checkpoint(tmp_path)
    (tmp_path / "checkpoint.json").write_text('{"kind": "simclr"}')
    assert is_similarity_checkpoint(tmp_path) and is_similarity_checkpoint(
        tmp_path / "checkpoint.json")
