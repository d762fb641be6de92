"""A simulated multiple sequence alignment whose residues in contact co-vary.

Real alignments carry a fold's contacts as co-variation: residues that touch mutate together
(Marks et al. 2011; the input features of Senior et al. 2020). Here the sequences of a chain's
family are drawn from a Potts model p(x) ~ exp(sum_i h_i(x_i) + sum_{i<j} J_ij(x_i, x_j)) whose
couplings J sit on (a fraction of) the chain's contacts, by Gibbs sampling: sites that share no
coupling are resampled together (a greedy colouring of the coupling graph), so a sweep costs a
few matrix products. The alignment is all the network sees of the fold.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lecturelab.protein.chains import contact_map


@dataclass(frozen=True)
class PottsModel:
    """Fields h (L, q) and couplings J (L, L, q, q), symmetric: J[i, j, a, b] = J[j, i, b, a]."""

    fields: np.ndarray
    couplings: np.ndarray

    @property
    def length(self) -> int:
        return self.fields.shape[0]

    @property
    def letters(self) -> int:
        return self.fields.shape[1]

    def coupled(self) -> np.ndarray:
        """(L, L) bool: the pairs that carry a coupling."""
        return np.abs(self.couplings).sum(axis=(2, 3)) > 0


def potts_on_contacts(coords: np.ndarray, rng: np.random.Generator, *, letters: int = 4,
                      strength: tuple[float, float] = (0.1, 0.45), fraction: float = 0.8,
                      min_separation: int = 3, field_sd: float = 0.5) -> PottsModel:
    """A Potts model with couplings on `fraction` of the contacts (C-alpha < 8 A, at least
    `min_separation` apart). Each coupled pair favours its own pairing of letters, b = pi(a)
    for a random permutation pi, by a strength drawn uniformly from `strength`."""
    length = len(coords)
    sep = np.abs(np.subtract.outer(np.arange(length), np.arange(length)))
    pairs = np.argwhere(np.triu(contact_map(coords) & (sep >= min_separation)))
    pairs = pairs[rng.random(len(pairs)) < fraction]
    couplings = np.zeros((length, length, letters, letters))
    for i, j in pairs:
        pattern = np.eye(letters)[rng.permutation(letters)] - 1.0 / letters  # zero-sum rows
        couplings[i, j] = rng.uniform(*strength) * pattern
        couplings[j, i] = couplings[i, j].T
    fields = rng.normal(0.0, field_sd, (length, letters))
    return PottsModel(fields, couplings)


def greedy_colouring(adjacent: np.ndarray) -> list[np.ndarray]:
    """Groups of sites with no edge inside a group (greedy, most-connected site first)."""
    colour = np.full(len(adjacent), -1)
    for site in np.argsort(-adjacent.sum(axis=1), kind="stable"):
        taken = set(colour[adjacent[site]].tolist())
        colour[site] = next(c for c in range(len(adjacent) + 1) if c not in taken)
    return [np.flatnonzero(colour == c) for c in range(colour.max() + 1)]


def sample_alignment(model: PottsModel, depth: int, rng: np.random.Generator, *,
                     sweeps: int = 10) -> np.ndarray:
    """(depth, L) int sequences from `model` by `sweeps` Gibbs sweeps from the fields alone."""
    length, q = model.length, model.letters
    if depth < 1 or sweeps < 0:
        raise ValueError(f"alignment depth must be >= 1 and sweeps >= 0, got {depth}, {sweeps}")
    seqs = _sample_letters(np.broadcast_to(model.fields, (depth, length, q)), rng)
    flat_j = model.couplings.transpose(1, 3, 0, 2).reshape(length * q, length * q)  # (Lq, Lq)
    groups = [(sites, flat_j[:, (sites[:, None] * q + np.arange(q)).reshape(-1)]
               .astype(np.float32)) for sites in greedy_colouring(model.coupled())]
    letters = np.eye(q, dtype=np.float32)
    for _ in range(sweeps):
        for sites, columns in groups:
            one_hot = letters[seqs].reshape(depth, length * q)  # (N, L*q)
            logits = (one_hot @ columns).reshape(depth, len(sites), q)
            seqs[:, sites] = _sample_letters(logits + model.fields[sites], rng)
    return seqs


def _sample_letters(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One categorical draw per row of (..., q) logits."""
    p = np.exp(logits - logits.max(axis=-1, keepdims=True))
    cdf = np.cumsum(p, axis=-1)
    u = rng.random(logits.shape[:-1] + (1,)) * cdf[..., -1:]
    return (u > cdf).sum(axis=-1)
