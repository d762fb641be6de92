"""Contrastive, triplet and NT-Xent losses on a batch of embeddings with class labels.

- Contrastive loss with a margin: Hadsell, Chopra & LeCun (2006), "Dimensionality reduction by
  learning an invariant mapping", eq. 4: pull same-class pairs together, push different-class
  pairs apart until they are `margin` away. `power=2` is the paper's squared hinge (without its
  factor 1/2); `power=1` (default) is pytorch-metric-learning's `ContrastiveLoss`.
- Triplet loss: Schroff, Kalenichenko & Philbin (2015), "FaceNet", eq. 2: the anchor must be
  nearer its positive than its negative by `margin`. FaceNet uses squared distances
  (`squared=True`); the default is plain distances, as pytorch-metric-learning.
- NT-Xent: Chen et al. (2020), "SimCLR", Sec. 2.1, eq. 1: softmax cross-entropy that picks the
  positive among all other samples by cosine similarity over a temperature.

Reductions: "nonzero" averages over the terms with non-zero loss (pytorch-metric-learning's
`AvgNonZeroReducer`, the default of its contrastive and triplet losses), "mean" over all terms.
Every loss is zero (with a gradient graph) when the batch has no pair or triplet of the needed
kind: one class only, or every class a singleton.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from lecturelab.similarity.distances import check_batch, label_masks, pairwise_distances

REDUCTIONS = ("nonzero", "mean")
NO_NEGATIVE = -1e9  # the log-sum-exp of an anchor without negatives: exp of it is 0


def reduce(losses: Tensor, reduction: str, anchor: Tensor) -> Tensor:
    """Mean over non-zero terms ("nonzero") or all terms ("mean"); zero when there are none.
    `anchor` is a tensor of the graph, so that an empty reduction still backpropagates."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")
    if reduction == "nonzero":
        losses = losses[losses > 0]
    return losses.mean() if losses.numel() else anchor.sum() * 0


def contrastive_loss(embeddings: Tensor, labels: Tensor, *, margin: float = 1.0,
                     pos_margin: float = 0.0, power: int = 1, normalize: bool = False,
                     reduction: str = "nonzero") -> Tensor:
    """Hadsell et al. (2006): relu(d - pos_margin)^power over same-class pairs plus
    relu(margin - d)^power over different-class pairs, each reduced, then summed.
    All ordered pairs (i, j), i != j, of the batch take part."""
    check_batch(embeddings, labels)
    if power not in (1, 2):
        raise ValueError(f"power must be 1 or 2, got {power}")
    dist = pairwise_distances(embeddings, normalize=normalize)
    positive, negative = label_masks(labels)
    pos = F.relu(dist[positive] - pos_margin).pow(power)
    neg = F.relu(margin - dist[negative]).pow(power)
    return reduce(pos, reduction, embeddings) + reduce(neg, reduction, embeddings)


def all_triplets(labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Every valid (anchor, positive, negative) index triple of the batch."""
    positive, negative = label_masks(labels)
    valid = positive[:, :, None] & negative[:, None, :]  # (B, B, B): a, p, n
    a, p, n = valid.nonzero(as_tuple=True)
    return a, p, n


def triplet_margins(dist: Tensor, triplets: tuple[Tensor, Tensor, Tensor],
                    margin: float) -> Tensor:
    """Per-triplet hinge relu(d(a, p) - d(a, n) + margin), FaceNet eq. 2, from a (B, B)
    distance matrix."""
    a, p, n = triplets
    return F.relu(dist[a, p] - dist[a, n] + margin)


def triplet_loss(embeddings: Tensor, labels: Tensor,
                 triplets: tuple[Tensor, Tensor, Tensor] | None = None, *, margin: float = 0.2,
                 squared: bool = False, normalize: bool = False,
                 reduction: str = "nonzero") -> Tensor:
    """Schroff et al. (2015) triplet loss over `triplets` (a miner's output; default: every
    valid triplet of the batch)."""
    check_batch(embeddings, labels)
    triplets = all_triplets(labels) if triplets is None else triplets
    dist = pairwise_distances(embeddings, normalize=normalize, squared=squared)
    return reduce(triplet_margins(dist, triplets, margin), reduction, embeddings)


def nt_xent_loss(embeddings: Tensor, labels: Tensor, *, temperature: float = 0.5) -> Tensor:
    """NT-Xent (Chen et al. 2020, eq. 1) averaged over every ordered positive pair (i, j):
    -log exp(s_ij / t) / (exp(s_ij / t) + sum over k of a different label exp(s_ik / t)),
    s the cosine similarity. With two views per image this is SimCLR's loss over its 2N views.
    An anchor without negatives contributes zero."""
    check_batch(embeddings, labels)
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = F.normalize(embeddings, dim=1)
    logits = z @ z.T / temperature  # (B, B)
    positive, negative = label_masks(labels)
    # a finite fill, not -inf: a row of -inf would give NaN gradients through logsumexp
    neg_lse = logits.masked_fill(~negative, NO_NEGATIVE).logsumexp(dim=1)  # (B,)
    neg_lse = torch.where(negative.any(dim=1), neg_lse, NO_NEGATIVE)
    a, p = positive.nonzero(as_tuple=True)
    pos = logits[a, p]
    losses = torch.logaddexp(pos, neg_lse[a]) - pos
    return losses.mean() if losses.numel() else embeddings.sum() * 0


def simclr_loss(z1: Tensor, z2: Tensor, *, temperature: float = 0.5) -> Tensor:
    """SimCLR's NT-Xent for two views (N, D) of the same N images: view i of one is the
    positive of view i of the other, the other 2N - 2 views are negatives."""
    if z1.shape != z2.shape or z1.dim() != 2:
        raise ValueError(f"the two views must both be (N, D), got {tuple(z1.shape)} and "
                         f"{tuple(z2.shape)}")
    labels = torch.arange(len(z1), device=z1.device).repeat(2)  # (2N,)
    return nt_xent_loss(torch.cat([z1, z2]), labels, temperature=temperature)
