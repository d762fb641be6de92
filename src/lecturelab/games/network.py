"""The policy-value network of AlphaZero (lecture 1), and the evaluator MCTS calls.

Follows Silver et al. 2017 (AlphaGo Zero), Methods, "Neural network architecture": a
convolutional stem, a tower of residual blocks (conv-BN-ReLU-conv-BN, skip, ReLU), a policy
head (1x1 conv to 2 planes, BN, ReLU, linear to the move logits) and a value head (1x1 conv to
1 plane, BN, ReLU, linear, ReLU, linear, tanh). Departure: a few blocks of 32-64 channels
instead of 19-39 blocks of 256, for boards of 9 and 42 cells.
"""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn.utils.fusion import fuse_conv_bn_eval

from lecturelab.games.base import Game


def conv_bn(c_in: int, c_out: int, k: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=False),
                         nn.BatchNorm2d(c_out))


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1, self.conv2 = conv_bn(channels, channels, 3), conv_bn(channels, channels, 3)

    def forward(self, x: Tensor) -> Tensor:
        return torch.relu(x + self.conv2(torch.relu(self.conv1(x))))


class PolicyValueNet(nn.Module):
    """f_theta(s) = (p, v): move logits (B, A) and a value in [-1, 1] (B,) for the player to
    move, from (B, 2, H, W) planes."""

    def __init__(self, *, board_shape: tuple[int, int], num_actions: int, channels: int = 32,
                 blocks: int = 2, value_hidden: int = 64) -> None:
        super().__init__()
        cells = board_shape[0] * board_shape[1]
        self.board_shape, self.num_actions = tuple(board_shape), num_actions
        self.kwargs = {"board_shape": list(board_shape), "num_actions": num_actions,
                       "channels": channels, "blocks": blocks, "value_hidden": value_hidden}
        self.stem = nn.Sequential(conv_bn(2, channels, 3), nn.ReLU())
        self.tower = nn.Sequential(*(ResidualBlock(channels) for _ in range(blocks)))
        self.policy_head = nn.Sequential(conv_bn(channels, 2, 1), nn.ReLU(), nn.Flatten(),
                                         nn.Linear(2 * cells, num_actions))
        self.value_head = nn.Sequential(conv_bn(channels, 1, 1), nn.ReLU(), nn.Flatten(),
                                        nn.Linear(cells, value_hidden), nn.ReLU(),
                                        nn.Linear(value_hidden, 1), nn.Tanh())

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if x.shape[1:] != (2, *self.board_shape):
            raise ValueError(f"planes must have shape (B, 2, {self.board_shape[0]}, "
                             f"{self.board_shape[1]}), got {tuple(x.shape)}")
        h = self.tower(self.stem(x))
        return self.policy_head(h), self.value_head(h).squeeze(1)


def folded_for_inference(net: PolicyValueNet) -> PolicyValueNet:
    """A copy of `net` in eval mode with every BatchNorm folded into the convolution before it
    (gamma (W x - mu) / sigma + beta is one convolution): the same function in fewer ops."""
    folded = deepcopy(net).eval()
    for module in list(folded.modules()):
        for name, child in list(module.named_children()):
            if isinstance(child, nn.Sequential) and len(child) == 2 \
                    and isinstance(child[0], nn.Conv2d) and isinstance(child[1], nn.BatchNorm2d):
                setattr(module, name, fuse_conv_bn_eval(child[0], child[1]))
    return folded


class NetworkEvaluator:
    """MCTS leaf evaluation by the network: softmax over the legal moves' logits, and v. It
    evaluates the network's weights as they are when it is made (BatchNorm folded), so a
    network trained further needs a new evaluator."""

    def __init__(self, game: Game, net: PolicyValueNet, *, device: torch.device | str = "cpu"):
        self.game, self.device = game, torch.device(device)
        self.net = folded_for_inference(net).to(self.device)

    @torch.inference_mode()
    def __call__(self, states: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        planes = torch.from_numpy(self.game.encode(states)).to(self.device)
        logits, value = self.net(planes)
        logits = logits.float().cpu().numpy()
        return masked_softmax(logits, self.game.legal_moves(states)), value.float().cpu().numpy()


def masked_softmax(logits: np.ndarray, legal: np.ndarray) -> np.ndarray:
    logits = np.where(legal, logits, -np.inf)
    p = np.exp(logits - logits.max(1, keepdims=True))
    return p / p.sum(1, keepdims=True)
