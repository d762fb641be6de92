"""A family of synthetic proteins: chain, simulated alignment, pair features, true distances."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lecturelab.protein.chains import Chain, distance_matrix, make_chain
from lecturelab.protein.features import covariation_statistic, pair_features
from lecturelab.protein.msa import potts_on_contacts, sample_alignment


@dataclass(frozen=True)
class ProteinExample:
    chain: Chain
    features: np.ndarray  # (C, L, L) float32, from the alignment only
    statistic: np.ndarray  # (L, L) APC-corrected MI: the co-variation statistic alone
    distances: np.ndarray  # (L, L) true C-alpha distances, A


@dataclass(frozen=True)
class FamilyConfig:
    min_length: int = 48  # residues
    max_length: int = 64
    depth: int = 300  # sequences in each alignment
    letters: int = 4  # alphabet size of the Potts model
    strength: tuple[float, float] = (0.175, 0.55)  # coupling strength range
    fraction: float = 0.8  # fraction of contacts that carry a coupling
    sweeps: int = 5  # Gibbs sweeps per alignment


def make_example(rng: np.random.Generator, cfg: FamilyConfig) -> ProteinExample:
    chain = make_chain(int(rng.integers(cfg.min_length, cfg.max_length + 1)), rng)
    model = potts_on_contacts(chain.coords, rng, letters=cfg.letters, strength=cfg.strength,
                              fraction=cfg.fraction)
    seqs = sample_alignment(model, cfg.depth, rng, sweeps=cfg.sweeps)
    return ProteinExample(chain, pair_features(seqs, cfg.letters),
                          covariation_statistic(seqs, cfg.letters),
                          distance_matrix(chain.coords))


def make_examples(count: int, seed: int, cfg: FamilyConfig) -> list[ProteinExample]:
    rng = np.random.default_rng(seed)
    return [make_example(rng, cfg) for _ in range(count)]
