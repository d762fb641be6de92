"""The capture-the-flag agent: a small convolutional policy over the egocentric view plus the
relative-position features, with a value head (FTW's agents are recurrent and see pixels;
this one is feed-forward and sees a 5x5 grid, Jaderberg et al. 2019, departure).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from lecturelab.ctf.game import (
    CHANNELS,
    NUM_ACTIONS,
    NUM_FEATURES,
    CaptureTheFlag,
    GameState,
    Observation,
)
from lecturelab.train.checkpoint import Checkpoint, load_checkpoint, save_checkpoint


class ConvPolicy(nn.Module):
    """Two unpadded 3x3 convolutions on the (C, 5, 5) view (5x5 -> 3x3 -> 1x1), then an MLP
    with the features; outputs action logits (N, 5) and a value (N,)."""

    def __init__(self, *, width: int = 16, hidden: int = 64):
        super().__init__()
        self.kwargs = {"width": width, "hidden": hidden}
        self.conv = nn.Sequential(nn.Conv2d(len(CHANNELS), width, 3), nn.ReLU(),
                                  nn.Conv2d(width, 2 * width, 3), nn.ReLU(),
                                  nn.Flatten())  # (N, 2 * width)
        self.body = nn.Sequential(nn.Linear(2 * width + NUM_FEATURES, hidden), nn.ReLU())
        self.policy, self.value = nn.Linear(hidden, NUM_ACTIONS), nn.Linear(hidden, 1)
        nn.init.zeros_(self.policy.weight)
        nn.init.zeros_(self.policy.bias)

    def forward(self, view: torch.Tensor, features: torch.Tensor
                ) -> tuple[torch.Tensor, torch.Tensor]:
        first, relu, second = self.conv[0], self.conv[1], self.conv[2]
        h = relu(first(view)).flatten(1)  # (N, width * 3 * 3)
        # the second 3x3 convolution covers its whole 3x3 input: one matrix product, the same
        # function with the same weights, faster than a convolution call on a CPU
        h = relu(F.linear(h, second.weight.flatten(1), second.bias))  # (N, 2 * width)
        h = self.body(torch.cat([h, features], 1))
        return self.policy(h), self.value(h).squeeze(1)


class PolicyTeam:
    """A team of two agents sharing one policy, sampling its actions (or the most likely,
    with `greedy`)."""

    def __init__(self, policy: ConvPolicy, *, seed: int = 0, greedy: bool = False):
        self.policy, self.greedy = policy, greedy
        self.generator = torch.Generator().manual_seed(seed)

    @torch.no_grad()
    def act(self, game: CaptureTheFlag, state: GameState, team: int,
            obs: Observation | None = None) -> np.ndarray:
        view, features = game.observe(state) if obs is None else obs
        agents = slice(2 * team, 2 * team + 2)
        logits, _ = self.policy(*flat_obs(view[:, agents], features[:, agents]))
        if self.greedy:
            actions = logits.argmax(1)
        else:
            actions = torch.multinomial(logits.softmax(1), 1, generator=self.generator)[:, 0]
        return actions.view(-1, 2).numpy()


def flat_obs(view: np.ndarray, features: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """(G, A, C, V, V), (G, A, F) -> tensors (G*A, C, V, V), (G*A, F)."""
    return (torch.from_numpy(view.reshape(-1, *view.shape[2:])),
            torch.from_numpy(features.reshape(-1, features.shape[-1])))


def save_policy(folder: str | Path, policy: ConvPolicy, *, meta: dict[str, Any]) -> Path:
    """Write the policy in the project's checkpoint format (kind "ctf"); returns the path of
    checkpoint.json."""
    state = {"kind": "ctf", "net": policy.kwargs, "epoch": 0, **meta}
    return save_checkpoint(Path(folder), Checkpoint(model_state=policy.state_dict(), meta=state))


def load_policy(path: str | Path) -> ConvPolicy:
    """The policy of a "ctf" checkpoint (a folder or its checkpoint.json)."""
    ckpt = load_checkpoint(path)
    if ckpt.meta.get("kind") != "ctf":
        raise ValueError(f"{path} is not a capture-the-flag checkpoint (kind "
                         f"{ckpt.meta.get('kind')!r})")
    policy = ConvPolicy(**ckpt.meta["net"])
    policy.load_state_dict(ckpt.model_state)
    return policy.eval()
