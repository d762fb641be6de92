"""A population saved after every round of PBT, so that a killed run resumes exactly.

One checkpoint in the project's format (train/checkpoint.py, kind "population") holds every
member: its state's tensors under `m<id>.` (the task says how a state becomes tensors and
back), and in the JSON its hyperparameters, score, steps, last decision and history, the round
reached and the state of the generator that drives exploit and explore. Resuming from it and
training on gives the same population as a run that was never stopped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import torch

from lecturelab.population.pbt import Member
from lecturelab.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint

KIND = "population"


class Checkpointable(Protocol):
    """A PBT task whose member states can be written as named tensors and read back."""

    def state_tensors(self, state: Any) -> dict[str, torch.Tensor]: ...

    def state_from_tensors(self, tensors: dict[str, torch.Tensor]) -> Any: ...


@dataclass
class PopulationState:
    """What a resumed run starts from: the members, the next round and PBT's generator."""

    members: list[Member]
    next_round: int
    rng: np.random.Generator
    config: dict[str, Any]  # what the run was started with (task, PBT and run settings)


def save_population(folder: Path, task: Checkpointable, state: PopulationState) -> Path:
    """Write every member and the run's position; checkpoint.json is the commit point."""
    tensors = {f"m{m.id}.{key}": value for m in state.members
               for key, value in task.state_tensors(m.state).items()}
    members = [{"id": m.id, "hyperparams": m.hyperparams, "score": m.score, "steps": m.steps,
                "last_ready": m.last_ready, "history": m.history} for m in state.members]
    meta = {"kind": KIND, "step": state.next_round, "config": state.config,
            "members": members, "pbt_rng": state.rng.bit_generator.state}
    return save_checkpoint(folder, Checkpoint(model_state=tensors, meta=meta))


def load_population(folder: Path, task: Checkpointable) -> PopulationState:
    """The population a folder's checkpoint holds, ready to train on from its next round."""
    ckpt = load_checkpoint(folder)
    if ckpt.kind != KIND:
        raise ValueError(f"{folder} holds a {ckpt.kind} checkpoint, not a population")
    members = []
    for row in ckpt.meta["members"]:
        prefix = f"m{row['id']}."
        own = {k[len(prefix):]: v for k, v in ckpt.model_state.items() if k.startswith(prefix)}
        members.append(Member(int(row["id"]), dict(row["hyperparams"]),
                              task.state_from_tensors(own), score=float(row["score"]),
                              steps=int(row["steps"]), last_ready=int(row["last_ready"]),
                              history=list(row["history"])))
    rng = np.random.default_rng()
    rng.bit_generator.state = ckpt.meta["pbt_rng"]
    return PopulationState(members, int(ckpt.meta["step"]), rng, dict(ckpt.meta["config"]))
