"""Distograms: distances binned into 64 classes from 2 to 22 A (Senior et al. 2020, Methods,
"Distogram prediction"), contact probabilities from them, and top-L/k contact precision."""

from __future__ import annotations

import numpy as np
import torch

BINS = 64
LOW, HIGH = 2.0, 22.0  # A; shorter distances fall in the first bin, longer in the last
WIDTH = (HIGH - LOW) / BINS
CONTACT = 8.0  # C-alpha contact cutoff, A
LONG_RANGE = 24  # minimum sequence separation of a long-range contact


def bin_centres() -> np.ndarray:
    """(64,) the centre of each bin, in A."""
    return LOW + WIDTH * (np.arange(BINS) + 0.5)


def distance_to_bin(distances: np.ndarray | torch.Tensor) -> np.ndarray | torch.Tensor:
    """The bin index of each distance (same shape), clipped to [0, 63]."""
    if isinstance(distances, torch.Tensor):
        return ((distances - LOW) / WIDTH).floor().long().clamp(0, BINS - 1)
    return np.clip(np.floor((distances - LOW) / WIDTH), 0, BINS - 1).astype(np.int64)


def contact_weights() -> np.ndarray:
    """(64,) how much of each bin lies below 8 A (0 or 1, and a fraction for the bin across it)."""
    lower = LOW + WIDTH * np.arange(BINS)
    return np.clip((CONTACT - lower) / WIDTH, 0.0, 1.0)


def contact_probability(probs: np.ndarray) -> np.ndarray:
    """(L, L) P(d < 8 A) from a (64, L, L) distogram."""
    if probs.shape[0] != BINS:
        raise ValueError(f"distogram must have {BINS} bins first, got shape {probs.shape}")
    return np.tensordot(contact_weights(), probs, axes=1)


def expected_distance(probs: np.ndarray) -> np.ndarray:
    """(L, L) the mean distance of a (64, L, L) distogram."""
    return np.tensordot(bin_centres(), probs, axes=1)


def top_contact_precision(scores: np.ndarray, distances: np.ndarray, *, fraction: int = 5,
                          min_separation: int = LONG_RANGE) -> float:
    """Precision of the top L/fraction pairs (i < j, j - i >= min_separation) ranked by `scores`,
    a pair counting as right when its true C-alpha distance is under 8 A (CASP's long-range
    top-L/5 precision with C-alpha in place of C-beta)."""
    if scores.shape != distances.shape or scores.ndim != 2:
        raise ValueError(f"scores and distances must be the same (L, L) shape, got "
                         f"{scores.shape} and {distances.shape}")
    length = len(scores)
    pairs = np.argwhere(np.triu(np.ones((length, length), bool), k=min_separation))
    if len(pairs) == 0:
        raise ValueError(f"a chain of {length} residues has no pairs {min_separation} apart")
    count = max(1, length // fraction)
    order = np.argsort(-scores[pairs[:, 0], pairs[:, 1]], kind="stable")[:count]
    top = pairs[order]
    return float((distances[top[:, 0], top[:, 1]] < CONTACT).mean())
