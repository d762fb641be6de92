"""Triplet miners: which (anchor, positive, negative) triplets of a batch to train on.

All work on a batch's (B, B) distance matrix without Python loops and return index tensors
(a, p, n). The lecture's point: random triplets soon satisfy the margin and carry no loss, so
informative triplets must be mined.

- `random_triplets`: a uniformly random positive and negative for each anchor.
- `semi_hard_triplets`: Schroff et al. (2015), FaceNet Sec. 3.2: every anchor-positive pair,
  with a negative farther than the positive ("semi-hard" when it is also inside the margin).
  As in TensorFlow Addons' `triplet_semihard_loss`, each pair takes the nearest negative
  beyond its positive, or, when every negative is nearer than the positive, the farthest one.
- `batch_hard_triplets`: Hermans, Beyer & Leibe (2017), "In defense of the triplet loss",
  Sec. 2: for each anchor its farthest positive and its nearest negative.
- `margin_triplets`: all triplets inside the margin, optionally only the "hard" (negative
  nearer than the positive) or "semihard" ones: pytorch-metric-learning's `TripletMarginMiner`.

Distances, not similarities: "hard" means a small anchor-negative distance. (Users of
pytorch-metric-learning with `CosineSimilarity` get the opposite order; see its issue tracker.)
"""

from __future__ import annotations

import torch
from torch import Tensor

from lecturelab.similarity.distances import label_masks
from lecturelab.similarity.losses import triplet_margins

Triplets = tuple[Tensor, Tensor, Tensor]
KINDS = ("all", "hard", "semihard")


def random_triplets(labels: Tensor, *, per_anchor: int = 1,
                    generator: torch.Generator | None = None) -> Triplets:
    """`per_anchor` triplets for each anchor that has a positive and a negative in the batch,
    positive and negative drawn uniformly (with replacement)."""
    positive, negative = label_masks(labels)
    anchors = (positive.any(1) & negative.any(1)).nonzero().flatten()
    if per_anchor < 1:
        raise ValueError(f"per_anchor must be at least 1, got {per_anchor}")
    if not len(anchors):
        return _empty(labels.device)
    a = anchors.repeat_interleave(per_anchor)
    p = _draw(positive[a], generator)
    n = _draw(negative[a], generator)
    return a, p, n


def _draw(mask: Tensor, generator: torch.Generator | None) -> Tensor:
    """One uniformly random True column per row of a boolean (T, B) mask."""
    u = torch.rand(mask.shape, generator=generator, device="cpu").to(mask.device)
    return u.masked_fill(~mask, -1).argmax(dim=1)


def semi_hard_triplets(dist: Tensor, labels: Tensor) -> Triplets:
    """FaceNet's anchor-positive pairs, each with the nearest negative farther than the
    positive (the farthest negative when none is), as TensorFlow Addons' semi-hard loss."""
    positive, negative = label_masks(labels)
    a, p = (positive & negative.any(1, keepdim=True)).nonzero(as_tuple=True)
    an = dist[a]  # (P, B): each pair's anchor-to-all distances
    beyond = negative[a] & (an > dist[a, p][:, None])
    inf = torch.finfo(dist.dtype).max
    nearest_beyond = an.masked_fill(~beyond, inf).argmin(dim=1)
    farthest = an.masked_fill(~negative[a], -inf).argmax(dim=1)
    n = torch.where(beyond.any(dim=1), nearest_beyond, farthest)
    return a, p, n


def batch_hard_triplets(dist: Tensor, labels: Tensor) -> Triplets:
    """Hermans et al. (2017): each anchor (with a positive and a negative) with its hardest
    positive (largest distance) and hardest negative (smallest distance)."""
    positive, negative = label_masks(labels)
    a = (positive.any(1) & negative.any(1)).nonzero().flatten()
    inf = torch.finfo(dist.dtype).max
    p = dist[a].masked_fill(~positive[a], -inf).argmax(dim=1)
    n = dist[a].masked_fill(~negative[a], inf).argmin(dim=1)
    return a, p, n


def margin_triplets(dist: Tensor, labels: Tensor, *, margin: float,
                    kind: str = "all") -> Triplets:
    """Every triplet with d(a, n) - d(a, p) <= margin ("all": non-zero loss, bar the
    boundary), and also <= 0 ("hard") or > 0 ("semihard")."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    positive, negative = label_masks(labels)
    gap = dist[:, None, :] - dist[:, :, None]  # (B, B, B): d(a, n) - d(a, p) at [a, p, n]
    keep = positive[:, :, None] & negative[:, None, :] & (gap <= margin)
    if kind == "hard":
        keep &= gap <= 0
    elif kind == "semihard":
        keep &= gap > 0
    a, p, n = keep.nonzero(as_tuple=True)
    return a, p, n


def active_fraction(dist: Tensor, triplets: Triplets, margin: float) -> float:
    """The fraction of `triplets` with non-zero loss (NaN when there are none)."""
    losses = triplet_margins(dist, triplets, margin)
    return float((losses > 0).float().mean()) if losses.numel() else float("nan")


def mine(miner: str, dist: Tensor, labels: Tensor, *, margin: float,
         generator: torch.Generator | None = None) -> Triplets:
    """Triplets from a miner by name: random, semi_hard, batch_hard or batch_all (every
    triplet inside the margin)."""
    if miner == "random":
        return random_triplets(labels, generator=generator)
    if miner == "semi_hard":
        return semi_hard_triplets(dist, labels)
    if miner == "batch_hard":
        return batch_hard_triplets(dist, labels)
    if miner == "batch_all":
        return margin_triplets(dist, labels, margin=margin)
    raise ValueError(f"unknown miner {miner!r}; expected one of {', '.join(MINERS)}")


MINERS = ("random", "semi_hard", "batch_hard", "batch_all")


def _empty(device: torch.device) -> Triplets:
    empty = torch.zeros(0, dtype=torch.int64, device=device)
    return empty, empty.clone(), empty.clone()
