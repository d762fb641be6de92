"""Retrieval metrics of an embedding: Recall@K, precision@1 and MAP@R.

Leave-one-out over one labelled set: each embedding queries all the others, ranked by Euclidean
distance. Recall@K (as in the deep metric learning papers, e.g. Oh Song et al. 2016) is the
fraction of queries with at least one same-class item among their K nearest; precision@1 the
fraction whose nearest is of its class; MAP@R (Musgrave, Belongie & Lim 2020, "A metric learning
reality check", Sec. 3.2) is, for a query with R other items of its class, the mean over the
first R ranks i of precision@i counted at the ranks that hold a same-class item. A query whose
class has no other item is left out, as pytorch-metric-learning's AccuracyCalculator does.
"""

from __future__ import annotations

import torch
from torch import Tensor

from lecturelab.similarity.distances import check_batch, pairwise_distances

KS = (1, 2, 4, 8)  # the K of Recall@K reported by default
CHUNK = 1024  # queries per block of the distance matrix


@torch.no_grad()
def nearest_indices(embeddings: Tensor, k: int, *, normalize: bool = False) -> Tensor:
    """(N, k) indices of each item's k nearest other items, nearest first."""
    neighbours = []
    for start in range(0, len(embeddings), CHUNK):
        dist = pairwise_distances(embeddings[start:start + CHUNK], embeddings,
                                  normalize=normalize)  # (chunk, N)
        rows = torch.arange(len(dist), device=dist.device)
        dist[rows, rows + start] = float("inf")  # an item is not its own neighbour
        neighbours.append(dist.topk(k, dim=1, largest=False).indices)
    return torch.cat(neighbours)


@torch.no_grad()
def retrieval_metrics(embeddings: Tensor, labels: Tensor, *, ks: tuple[int, ...] = KS,
                      normalize: bool = False) -> dict[str, float]:
    """{"recall_at_K" for K in ks, "precision_at_1", "map_at_r"} of a labelled set, leave-one-out
    (NaN when no class has two items)."""
    check_batch(embeddings, labels)
    counts = torch.bincount(labels - labels.min())[labels - labels.min()] - 1  # R per query
    kept = counts > 0
    if not kept.any():
        return {**{f"recall_at_{k}": float("nan") for k in ks}, "precision_at_1": float("nan"),
                "map_at_r": float("nan")}
    if min(ks) < 1 or max(ks) >= len(labels):
        raise ValueError(f"every K of Recall@K must lie in [1, {len(labels) - 1}], got {ks}")
    depth = max(max(ks), int(counts.max()))
    nearest = nearest_indices(embeddings, depth, normalize=normalize)  # (N, depth)
    same = (labels[nearest] == labels[:, None])[kept]  # (Q, depth)
    r = counts[kept]
    metrics = {f"recall_at_{k}": same[:, :k].any(dim=1).double().mean().item() for k in ks}
    metrics["precision_at_1"] = same[:, 0].double().mean().item()
    metrics["map_at_r"] = map_at_r(same, r)
    return metrics


def map_at_r(same: Tensor, r: Tensor) -> float:
    """MAP@R from (Q, depth) same-class flags in rank order and each query's R (<= depth)."""
    ranks = torch.arange(1, same.shape[1] + 1, device=same.device)
    within = ranks[None, :] <= r[:, None]  # (Q, depth): the first R ranks
    hits = same & within
    precision = hits.cumsum(dim=1).double() / ranks
    return ((precision * hits).sum(dim=1) / r).mean().item()
