import json
import os
import subprocess
import sys

import pytest
import torch

from lecturelab.data import load_dataset
from lecturelab.registry import create_model
from lecturelab.train.callbacks import Diagnostics, NonFiniteError
from lecturelab.train.loop import TrainConfig, Trainer, lr_factor


def digits_trainer(cfg: TrainConfig, callbacks=()) -> Trainer:
    torch.manual_seed(cfg.seed)
    data = load_dataset("digits")
    model = create_model("mlp", num_classes=10, input_shape=data.input_shape)
    return Trainer(model, data, cfg, callbacks=callbacks)


def test_mlp_learns_digits_and_logs_lecture2_diagnostics():
    trainer = digits_trainer(TrainConfig(epochs=3, batch_size=64, lr=0.05),
                             callbacks=[Diagnostics(every=5)])
    state = trainer.fit()
    last = state.history[-1]
    assert last["test_acc"] > 0.85
    assert state.step == 3 * (1437 // 64)
    assert any(k.startswith("dead_relu/") for k in last)
    assert any(k.startswith("weight_norm/") for k in last)
    assert any(k.startswith("grad_norm/") for k in last)


def test_the_loop_applies_the_datasets_augmentation_only():
    with pytest.raises(ValueError, match="digits declares no augmentation"):
        digits_trainer(TrainConfig(epochs=1, augment=True))
    assert digits_trainer(TrainConfig(epochs=1)).train_loader.augment is None


def test_recipes_default_to_the_datasets_augmentation():
    from lecturelab.train.recipes import recipe

    digits = load_dataset("digits")
    assert not recipe("quick", digits).config.augment
    assert recipe("quick", digits).train_subset is None  # 1,437 < 5,000: all of them
    cifar = load_dataset("cifar10", source="subset")
    assert recipe("quick", cifar).config.augment and recipe("full", cifar).config.augment
    assert not recipe("quick", cifar, augment=False).config.augment
    with pytest.raises(ValueError, match="subset must lie in"):
        recipe("quick", digits, train_subset=0)


def test_nan_guard_names_the_step_and_the_layer():
    trainer = digits_trainer(TrainConfig(epochs=1, batch_size=64), callbacks=[Diagnostics()])
    first_linear = next(m for m in trainer.model.modules() if isinstance(m, torch.nn.Linear))
    with torch.no_grad():
        first_linear.weight[0, 0] = float("nan")
    with pytest.raises(NonFiniteError, match=r"step 1 in .*weight"):
        trainer.fit()


@pytest.mark.parametrize(("schedule", "progress", "factor"), [
    ("constant", 7.0, 1.0), ("cosine", 0.0, 1.0), ("cosine", 5.0, 0.5),
    ("step", 4.9, 1.0), ("step", 5.0, 0.1), ("step", 7.5, 0.01),
])
def test_schedules(schedule, progress, factor):
    assert lr_factor(TrainConfig(epochs=10, schedule=schedule), progress) == pytest.approx(factor)


def test_warmup_ramps_linearly():
    assert lr_factor(TrainConfig(epochs=10, warmup_epochs=2), 1.0) == pytest.approx(0.5)


def test_invalid_config_values_are_named():
    with pytest.raises(ValueError, match="schedule must be"):
        TrainConfig(schedule="linear")
    with pytest.raises(ValueError, match="batch_size must be positive"):
        TrainConfig(batch_size=0)
    with pytest.raises(ValueError, match="lr must be a positive number"):
        TrainConfig(lr=float("nan"))


def test_torchrun_trains_with_ddp_on_two_cpu_processes(tmp_path):
    torchrun = os.path.join(os.path.dirname(sys.executable), "torchrun")
    cmd = [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "lecturelab.cli", "train",
           "mlp", "--data", "digits", "--epochs", "2", "--batch-size", "32", "--device", "cpu",
           "--no-augment", "--lr", "0.05",
           "--out", str(tmp_path / "ddp")]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    rows = [json.loads(x) for x in (tmp_path / "ddp" / "metrics.jsonl").read_text().splitlines()]
    assert len(rows) == 2
    assert rows[-1]["step"] == 2 * (1437 // 2 // 32)  # each process steps over its half
    assert rows[-1]["test_acc"] > 0.5
