"""Training the distogram network with cross-entropy on random crops of the pair image, as
AlphaFold 1 did (Senior et al. 2020, Methods: 64 x 64 crops; here smaller, for small chains)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch.nn import functional as F

from lecturelab.protein.dataset import ProteinExample
from lecturelab.protein.distogram import distance_to_bin
from lecturelab.protein.network import DistogramNet


@dataclass(frozen=True)
class TrainConfig:
    channels: int = 32  # channels of each residual block
    blocks: int = 8  # dilated residual blocks (dilations cycle 1, 2, 4, 8)
    steps: int = 80  # Adam steps (80 and 120 gave equal precision, seeds 0 and 1)
    batch: int = 16  # crops a step
    crop: int = 32  # crop side, residues
    lr: float = 3e-3  # Adam learning rate (cosine decay to 0)


def random_crops(examples: Sequence[ProteinExample], batch: int, crop: int,
                 rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, crop, crop) features and (B, crop, crop) bin targets (-1 on the diagonal)."""
    feats, targets = [], []
    for k in rng.integers(0, len(examples), batch):
        ex = examples[k]
        size = min(crop, len(ex.distances))
        i, j = rng.integers(0, len(ex.distances) - size + 1, 2)
        feats.append(ex.features[:, i:i + size, j:j + size])
        target = distance_to_bin(ex.distances[i:i + size, j:j + size])
        rows, cols = np.arange(i, i + size)[:, None], np.arange(j, j + size)[None]
        targets.append(np.where(rows == cols, -1, target))
    return torch.from_numpy(np.stack(feats)), torch.from_numpy(np.stack(targets))


def train_distogram(examples: Sequence[ProteinExample], cfg: TrainConfig, *, seed: int,
                    device: torch.device | str = "cpu") -> DistogramNet:
    """A DistogramNet fitted to the examples' true distance bins from their features."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = DistogramNet(examples[0].features.shape[0], channels=cfg.channels,
                       blocks=cfg.blocks).to(device, memory_format=torch.channels_last)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(opt, max(1, cfg.steps))
    net.train()
    for _ in range(cfg.steps):
        x, y = random_crops(examples, cfg.batch, cfg.crop, rng)
        x = x.to(device, memory_format=torch.channels_last)  # NHWC: faster convolutions
        loss = F.cross_entropy(net(x), y.to(device), ignore_index=-1)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        schedule.step()
    return net.eval()


@torch.no_grad()
def predict_distogram(net: DistogramNet, example: ProteinExample) -> np.ndarray:
    """(64, L, L) bin probabilities for the whole chain."""
    device = next(net.parameters()).device
    x = torch.from_numpy(example.features)[None].to(device)
    return torch.softmax(net(x)[0], dim=0).cpu().double().numpy()
