"""The same population-based training on Ray Tune, for populations that outgrow one machine.

Ray's `PopulationBasedTraining` scheduler does what population/pbt.py does in one process:
every `interval` steps a trial in the bottom quarter restores the checkpoint of a trial in the
top quarter (exploit) and perturbs the copied hyperparameters by x0.8 / x1.2 (explore). The
trainable is the in-process `ClassifierTask` (an MLP's learning rate and weight decay on
mnist1d); its checkpoints are safetensors + JSON, like every checkpoint of the project.

    from lecturelab.population.ray_tune import tune_classifier
    rows = tune_classifier(members=8, steps=1500, interval=150)           # a local Ray
    rows = tune_classifier(members=32, steps=6000, address="auto")        # a running cluster

`address` is passed to `ray.init`: None starts Ray on this machine; "auto" or
"ray://head:10001" joins an existing cluster (`ray start --head` on one machine,
`ray start --address=HEAD:6379` on the others).
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_file, save_file

from lecturelab.population.classifier import ClassifierTask, ClassifierTaskConfig, log_uniform
from lecturelab.population.pbt import Member


def save_member(folder: Path, member: Member, owner: str, exploits: int = 0) -> None:
    """Write `member` as safetensors + JSON; `owner` is the trial saving it, `exploits` how
    often its lineage was copied from another trial."""
    save_file(ClassifierTask.state_tensors(member.state), str(folder / "member.safetensors"))
    (folder / "member.json").write_text(json.dumps({"steps": member.steps, "owner": owner,
                                                    "exploits": exploits}))


def load_member(folder: Path, member: Member) -> tuple[str, int]:
    """Restore `member` from a checkpoint folder; return the trial that wrote it and its
    lineage's count of exploits."""
    member.state = ClassifierTask.state_from_tensors(load_file(str(folder / "member.safetensors")))
    meta = json.loads((folder / "member.json").read_text())
    member.steps = int(meta["steps"])
    return str(meta["owner"]), int(meta.get("exploits", 0))


def classifier_trainable(config: dict[str, Any]) -> None:
    """A Ray Tune function trainable: one PBT member, reporting validation accuracy each
    interval with a checkpoint. `exploits` counts how often the weights it carries were
    restored from another trial's checkpoint (a trial paused and resumed restores its own)."""
    from ray import tune

    from lecturelab.data import load_dataset

    torch.set_num_threads(1)
    trial = tune.get_context().get_trial_id()
    task = ClassifierTask(load_dataset("mnist1d"), ClassifierTaskConfig(),
                          device=torch.device("cpu"))
    member = task.population(1, seed=int(config["seed"]))[0]
    exploits = 0
    checkpoint = tune.get_checkpoint()
    if checkpoint is not None:
        with checkpoint.as_directory() as folder:
            owner, exploits = load_member(Path(folder), member)
        exploits += owner != trial
    member.hyperparams = {"lr": config["lr"], "weight_decay": config["weight_decay"]}
    while member.steps < config["steps"]:
        task.train(member, config["interval"])
        member.steps += config["interval"]
        with tempfile.TemporaryDirectory() as folder:
            save_member(Path(folder), member, trial, exploits)
            tune.report({"accuracy": task.evaluate(member), "steps": member.steps,
                         "exploits": exploits},
                        checkpoint=tune.Checkpoint.from_directory(folder))


def tune_classifier(*, members: int = 8, steps: int = 1500, interval: int = 150,
                    seed: int = 0, address: str | None = None, storage: Path | None = None,
                    cpus_per_trial: float = 1.0, synch: bool = False) -> list[dict[str, Any]]:
    """Run PBT over `members` trials on Ray Tune; return each trial's last result row.

    `synch` makes every trial wait at each interval until all have reached it, so the bottom
    quarter surely exploits there (Ray's synchronous PBT); asynchronous is the paper's way."""
    import ray
    from ray import tune
    from ray.tune.schedulers import PopulationBasedTraining

    cfg = ClassifierTaskConfig()
    rng = np.random.default_rng(seed)
    starts = [(log_uniform(rng, cfg.lr_range), log_uniform(rng, cfg.decay_range))
              for _ in range(members)]
    scheduler = PopulationBasedTraining(
        time_attr="steps", perturbation_interval=interval, quantile_fraction=0.25,
        resample_probability=0.0, perturbation_factors=(1.2, 0.8), synch=synch,
        hyperparam_mutations={"lr": tune.loguniform(*cfg.lr_range),
                              "weight_decay": tune.loguniform(*cfg.decay_range)})
    ray.init(address=address, ignore_reinit_error=True, include_dashboard=False,
             log_to_driver=False)
    try:
        tuner = tune.Tuner(
            tune.with_resources(classifier_trainable, {"cpu": cpus_per_trial}),
            param_space={"seed": tune.grid_search(list(range(members))),
                         "lr": tune.sample_from(lambda spec: starts[spec.config.seed][0]),
                         "weight_decay": tune.sample_from(
                             lambda spec: starts[spec.config.seed][1]),
                         "steps": steps, "interval": interval},
            tune_config=tune.TuneConfig(metric="accuracy", mode="max", scheduler=scheduler),
            run_config=tune.RunConfig(storage_path=str(storage) if storage else None,
                                      verbose=0))
        results = tuner.fit()
        return [dict(r.metrics, config=r.config) for r in results]
    finally:
        ray.shutdown()
