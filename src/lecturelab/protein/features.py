"""Co-variation features of an alignment: the one-hot profile, the pair covariance and the
APC-corrected mutual information (Dunn et al. 2008), stacked into the L x L "image" that the
distogram network reads (Senior et al. 2020, Methods: "MSA features")."""

from __future__ import annotations

import numpy as np

SEPARATION_EDGES = (1, 2, 3, 4, 5, 9, 17, 33)  # one-hot buckets of |i - j|


def frequencies(seqs: np.ndarray, letters: int,
                pseudocount: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Site frequencies f_i(a) (L, q) and pair frequencies f_ij(a, b) (L, L, q, q), each with
    `pseudocount` sequences' worth of uniform counts mixed in."""
    depth, length = seqs.shape
    one_hot = np.eye(letters)[seqs].reshape(depth, length * letters)  # (N, L*q)
    w = depth / (depth + pseudocount)
    single = w * one_hot.mean(axis=0).reshape(length, letters) + (1 - w) / letters
    pair = (one_hot.T @ one_hot / depth).reshape(length, letters, length, letters)
    pair = w * pair.transpose(0, 2, 1, 3) + (1 - w) / letters**2
    return single, pair


def apc(scores: np.ndarray) -> np.ndarray:
    """Average product correction: S_ij - S_i. S_.j / S_.. (off-diagonal means)."""
    s = scores.copy()
    np.fill_diagonal(s, 0.0)
    length = len(s)
    row = s.sum(axis=1) / (length - 1)
    total = s.sum() / (length * (length - 1))
    corrected = s - np.outer(row, row) / max(total, 1e-12)
    np.fill_diagonal(corrected, 0.0)
    return corrected


def mutual_information(single: np.ndarray, pair: np.ndarray) -> np.ndarray:
    """(L, L) MI_ij = sum_ab f_ij(a,b) log(f_ij(a,b) / (f_i(a) f_j(b)))."""
    indep = single[:, None, :, None] * single[None, :, None, :]  # (L, L, q, q)
    ratio = np.where(pair > 0, pair / np.where(indep > 0, indep, 1.0), 1.0)
    return (pair * np.log(ratio)).sum(axis=(2, 3))  # 0 log 0 = 0


def covariation_statistic(seqs: np.ndarray, letters: int) -> np.ndarray:
    """The co-variation statistic alone: APC-corrected mutual information, (L, L)."""
    single, pair = frequencies(seqs, letters)
    return apc(mutual_information(single, pair))


def pair_features(seqs: np.ndarray, letters: int) -> np.ndarray:
    """(C, L, L) float32 features: pair covariance (q*q), APC-corrected MI and covariance norm,
    the profiles of i and of j (2q) and one-hot buckets of the separation |i - j|."""
    depth, length = seqs.shape
    single, pair = frequencies(seqs, letters)
    cov = pair - single[:, None, :, None] * single[None, :, None, :]  # (L, L, q, q)
    mi = apc(mutual_information(single, pair))
    frob = apc(np.sqrt((cov**2).sum(axis=(2, 3))))
    scale = np.sqrt(depth)  # co-variation of independent sites shrinks as 1/sqrt(N)
    channels = [scale * cov.reshape(length, length, -1).transpose(2, 0, 1),
                (depth * mi)[None], (scale * frob)[None],
                np.broadcast_to(single.T[:, :, None], (letters, length, length)),
                np.broadcast_to(single.T[:, None, :], (letters, length, length)),
                separation_buckets(length)]
    return np.concatenate(channels).astype(np.float32)


def separation_buckets(length: int) -> np.ndarray:
    """(len(SEPARATION_EDGES), L, L) one-hot of which bucket |i - j| falls in."""
    sep = np.abs(np.subtract.outer(np.arange(length), np.arange(length)))
    bucket = np.searchsorted(SEPARATION_EDGES, sep, side="right") - 1  # -1 on the diagonal
    return (bucket[None] == np.arange(len(SEPARATION_EDGES))[:, None, None]).astype(np.float32)


def feature_channels(letters: int) -> int:
    return letters * letters + 2 + 2 * letters + len(SEPARATION_EDGES)
