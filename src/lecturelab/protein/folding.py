"""Folding by gradient descent on a potential built from the predicted distogram (Senior et al.
2020, Methods, "Structure realisation"): the negative log-likelihood of each pair's distance
under its predicted distribution, plus a bond-length term and a clash term, minimised over
C-alpha coordinates with torch autograd and L-BFGS. AlphaFold 1 optimised backbone torsions and
added a reference-distribution correction; here coordinates are free and the bond term keeps
3.8 A. The start is classical multidimensional scaling of the expected distances (or random)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from lecturelab.protein.chains import BOND, CLASH
from lecturelab.protein.distogram import BINS, LOW, WIDTH, expected_distance


@dataclass(frozen=True)
class FoldConfig:
    iterations: int = 200  # L-BFGS iterations
    record_every: int = 10  # keep the coordinates every this many iterations
    bond_weight: float = 10.0  # weight of (d_{i,i+1} - 3.8)^2
    clash_weight: float = 10.0  # weight of max(0, 4 - d_ij)^2 for |i - j| >= 2
    min_separation: int = 2  # pairs this far apart enter the distogram term
    start: str = "mds"  # "mds" (of expected distances) or "random"


def classical_mds(distances: np.ndarray, dims: int = 3) -> np.ndarray:
    """(L, dims) coordinates whose distances best match `distances` (Torgerson 1952)."""
    n = len(distances)
    centre = np.eye(n) - 1.0 / n
    gram = -0.5 * centre @ (distances**2) @ centre
    values, vectors = np.linalg.eigh(gram)
    top = np.argsort(values)[::-1][:dims]
    return vectors[:, top] * np.sqrt(np.clip(values[top], 1e-9, None))


def distogram_potential(probs: np.ndarray, *, min_separation: int = 2,
                        floor: float = 1e-4) -> torch.Tensor:
    """(L, L, 64) -log p of each bin, the table the potential interpolates; pairs closer than
    `min_separation` in sequence carry zeros."""
    nll = -np.log(np.clip(probs, floor, None)).transpose(1, 2, 0)  # (L, L, 64)
    length = probs.shape[1]
    sep = np.abs(np.subtract.outer(np.arange(length), np.arange(length)))
    nll = np.where((sep >= min_separation)[..., None], nll, 0.0)
    return torch.from_numpy(nll)


def energy(x: torch.Tensor, table: torch.Tensor, cfg: FoldConfig) -> torch.Tensor:
    """Distogram NLL (linearly interpolated between bin centres) + bond + clash terms."""
    length = len(x)
    diff = x[:, None] - x[None]  # (L, L, 3)
    d = torch.sqrt((diff**2).sum(-1) + 1e-8)
    pos = ((d - LOW) / WIDTH - 0.5).clamp(0, BINS - 1)
    lo = pos.floor().long().clamp(max=BINS - 2)
    frac = pos - lo
    nll = (1 - frac) * table.gather(-1, lo[..., None])[..., 0] \
        + frac * table.gather(-1, (lo + 1)[..., None])[..., 0]
    upper = torch.triu(torch.ones(length, length, dtype=torch.bool), 2)
    bonds = torch.diagonal(d, 1)
    clash = torch.relu(CLASH - d[upper])
    return (torch.triu(nll, 1).sum() + cfg.bond_weight * ((bonds - BOND) ** 2).sum()
            + cfg.clash_weight * (clash**2).sum())


def fold(probs: np.ndarray, cfg: FoldConfig, *, seed: int = 0) -> list[np.ndarray]:
    """Coordinates (L, 3) every `record_every` L-BFGS iterations, the last one the fold."""
    if probs.ndim != 3 or probs.shape[0] != BINS:
        raise ValueError(f"distogram must be (64, L, L) probabilities, got {probs.shape}")
    length = probs.shape[1]
    if cfg.start == "mds":
        start = classical_mds(expected_distance(probs))
    elif cfg.start == "random":
        start = np.random.default_rng(seed).normal(0, 3 * length ** (1 / 3), (length, 3))
    else:
        raise ValueError(f"fold start must be 'mds' or 'random', got {cfg.start!r}")
    table = distogram_potential(probs, min_separation=cfg.min_separation)
    x = torch.tensor(np.ascontiguousarray(start), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([x], lr=1, max_iter=cfg.record_every,
                            line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        opt.zero_grad()
        e = energy(x, table, cfg)
        e.backward()
        return e

    path = [start.copy()]
    for _ in range(max(1, cfg.iterations // cfg.record_every)):
        opt.step(closure)
        path.append(x.detach().numpy().copy())
    return path


def true_distogram(distances: np.ndarray, sharpness: float = 1.0) -> np.ndarray:
    """(64, L, L) a distogram peaked at the true distances (Gaussian of `sharpness` A over the
    bin centres): folding from it tests the folding, not the prediction."""
    centres = LOW + WIDTH * (np.arange(BINS) + 0.5)
    logits = -((distances[None] - centres[:, None, None]) / sharpness) ** 2 / 2
    p = np.exp(logits - logits.max(axis=0, keepdims=True))
    return p / p.sum(axis=0, keepdims=True)
