"""PBT on a real training task: the learning rate and weight decay of an MLP classifier
(Jaderberg et al. 2017, Sec. 4: PBT finds a schedule of hyperparameters, not one fixed value).

Each member is an MLP trained by SGD with momentum; its score is accuracy on a validation split
carved from the training set, so the test set stays unseen until the end. A member's state is
its weights and optimiser state, so exploit copies both, as the paper does.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from lecturelab.data import ClassificationData
from lecturelab.models.mlp import MLP
from lecturelab.population.pbt import Member


@dataclass(frozen=True)
class ClassifierTaskConfig:
    width: int = 128  # hidden units in each of the two layers
    batch_size: int = 128  # examples per SGD step
    momentum: float = 0.9  # SGD momentum
    validation: int = 500  # training examples held out to score members
    lr_range: tuple[float, float] = (1e-3, 1.0)  # log-uniform prior of the learning rate
    decay_range: tuple[float, float] = (1e-6, 1e-2)  # log-uniform prior of the weight decay


class ClassifierTask:
    """A PBT `Trainable`: members are MLPs on `data`; hyperparameters `lr` and `weight_decay`."""

    def __init__(self, data: ClassificationData, cfg: ClassifierTaskConfig, *,
                 device: torch.device) -> None:
        n = len(data.y_train) - cfg.validation
        self.cfg, self.device = cfg, device
        self.x, self.y = data.x_train[:n].to(device), data.y_train[:n].to(device)
        self.x_val, self.y_val = data.x_train[n:].to(device), data.y_train[n:].to(device)
        self.x_test, self.y_test = data.x_test.to(device), data.y_test.to(device)
        self.in_features, self.num_classes = int(self.x.shape[1]), data.num_classes
        self.model = self.new_model()

    def new_model(self) -> MLP:
        return MLP(self.in_features, self.num_classes, width=self.cfg.width).to(self.device)

    def population(self, size: int, seed: int) -> list[Member]:
        """`size` members with fresh weights and hyperparameters drawn from the priors."""
        rng = np.random.default_rng(seed)
        members = []
        for i in range(size):
            torch.manual_seed(seed * 1000 + i)
            model = self.new_model()
            hyper = {"lr": log_uniform(rng, self.cfg.lr_range),
                     "weight_decay": log_uniform(rng, self.cfg.decay_range)}
            state = {"model": copy.deepcopy(model.state_dict()), "momentum": None,
                     "generator": torch.Generator().manual_seed(seed * 1000 + i).get_state()}
            members.append(Member(i, hyper, state))
        return members

    def train(self, member: Member, steps: int) -> None:
        """`steps` SGD steps on the member's weights with its current hyperparameters."""
        self.model.load_state_dict(member.state["model"])
        optimizer = torch.optim.SGD(self.model.parameters(), lr=member.hyperparams["lr"],
                                    momentum=self.cfg.momentum,
                                    weight_decay=member.hyperparams["weight_decay"])
        if member.state["momentum"] is not None:
            load_momentum(optimizer, member.state["momentum"])
        generator = torch.Generator().manual_seed(0)
        generator.set_state(member.state["generator"])
        self.model.train()
        for _ in range(steps):
            idx = torch.randint(len(self.y), (self.cfg.batch_size,), generator=generator)
            idx = idx.to(self.device)
            loss = F.cross_entropy(self.model(self.x[idx]), self.y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        member.state = {"model": copy.deepcopy(self.model.state_dict()),
                        "momentum": [optimizer.state[p]["momentum_buffer"].clone()
                                     for p in self.model.parameters()],
                        "generator": generator.get_state()}

    @staticmethod
    def state_tensors(state: dict[str, Any]) -> dict[str, Tensor]:
        """A member's weights, momentum buffers and data-order generator as named tensors."""
        tensors = {f"model.{k}": v.contiguous() for k, v in state["model"].items()}
        for i, buffer in enumerate(state["momentum"] or []):
            tensors[f"momentum.{i}"] = buffer.contiguous()
        tensors["generator"] = state["generator"]
        return tensors

    @staticmethod
    def state_from_tensors(tensors: dict[str, Tensor]) -> dict[str, Any]:
        """The member state `state_tensors` wrote."""
        momentum = [tensors[f"momentum.{i}"] for i in range(len(tensors))
                    if f"momentum.{i}" in tensors]
        return {"model": {k[6:]: v for k, v in tensors.items() if k.startswith("model.")},
                "momentum": momentum or None, "generator": tensors["generator"]}

    def evaluate(self, member: Member) -> float:
        """Validation accuracy: the score PBT ranks by."""
        return self.accuracy(member, self.x_val, self.y_val)

    def test_accuracy(self, member: Member) -> float:
        return self.accuracy(member, self.x_test, self.y_test)

    @torch.no_grad()
    def accuracy(self, member: Member, x: Tensor, y: Tensor) -> float:
        self.model.load_state_dict(member.state["model"])
        self.model.eval()
        return float((self.model(x).argmax(1) == y).float().mean())


def log_uniform(rng: np.random.Generator, bounds: tuple[float, float]) -> float:
    low, high = np.log(bounds[0]), np.log(bounds[1])
    return float(np.exp(rng.uniform(low, high)))


def load_momentum(optimizer: torch.optim.SGD, buffers: list[Tensor]) -> None:
    params = [p for group in optimizer.param_groups for p in group["params"]]
    for p, buffer in zip(params, buffers, strict=True):
        optimizer.state[p]["momentum_buffer"] = buffer.clone()
