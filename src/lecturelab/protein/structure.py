"""Comparing two C-alpha traces of the same chain: optimal superposition (Kabsch 1976), RMSD,
TM-score with its superposition search (Zhang and Skolnick 2004) and lDDT (Mariani et al.
2013), all with residue i of one matched to residue i of the other."""

from __future__ import annotations

import numpy as np

LDDT_RADIUS = 15.0  # A: pairs closer than this in the reference are scored
LDDT_THRESHOLDS = (0.5, 1.0, 2.0, 4.0)  # A


def _check_pair(model: np.ndarray, reference: np.ndarray) -> None:
    if model.shape != reference.shape or model.ndim != 2 or model.shape[1] != 3:
        raise ValueError(f"model and reference must both be (L, 3) coordinates, got "
                         f"{model.shape} and {reference.shape}")


def kabsch(model: np.ndarray, reference: np.ndarray,
           weights: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rotation R (..., 3, 3) with det +1 and translation t (..., 3) minimising
    sum_i w_i |R x_i + t - y_i|^2 for x = model (..., L, 3), y = reference (L, 3); weights
    (..., L) batch several superpositions at once (a mask picks residues)."""
    w = np.ones(model.shape[:-1]) if weights is None else np.asarray(weights, float)
    w = w / w.sum(axis=-1, keepdims=True)
    mx = (w[..., None] * model).sum(axis=-2)  # (..., 3)
    my = (w[..., None] * reference).sum(axis=-2)
    cov = np.einsum("...i,...ia,...ib->...ab", w, model - mx[..., None, :],
                    reference - my[..., None, :])  # (..., 3, 3)
    u, _, vt = np.linalg.svd(cov)
    sign = np.sign(np.linalg.det(u @ vt))  # -1 where the best fit would be a reflection
    fix = np.ones(u.shape[:-1])
    fix[..., -1] = np.where(sign == 0, 1.0, sign)
    rotation = np.swapaxes((u * fix[..., None, :]) @ vt, -1, -2)
    translation = my - np.einsum("...ab,...b->...a", rotation, mx)
    return rotation, translation


def superpose(model: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """`model` moved onto `reference` by the least-squares rotation and translation."""
    _check_pair(model, reference)
    rotation, translation = kabsch(model, reference)
    return model @ rotation.T + translation


def rmsd(model: np.ndarray, reference: np.ndarray) -> float:
    """Root-mean-square deviation after optimal superposition, A."""
    moved = superpose(model, reference)
    return float(np.sqrt(((moved - reference) ** 2).sum(axis=1).mean()))


def tm_d0(length: int) -> float:
    """d0 = 1.24 (L - 15)^(1/3) - 1.8 A, at least 0.5 (Zhang and Skolnick 2004, Eq. 2)."""
    return max(0.5, 1.24 * max(length - 15, 0) ** (1 / 3) - 1.8) if length > 21 else 0.5


def _seed_masks(length: int) -> np.ndarray:
    """(S, L) bool: every window of L, L/2, L/4, ... (at least 4) residues, step 1: the seed
    fragments of TM-score's search."""
    sizes, size = [], length
    while len(sizes) < 6:
        sizes.append(max(size, min(4, length)))
        if size <= 4:
            break
        size //= 2
    masks = []
    for size in dict.fromkeys(sizes):
        for start in range(length - size + 1):
            m = np.zeros(length, bool)
            m[start:start + size] = True
            masks.append(m)
    return np.stack(masks)


def _within(d: np.ndarray, cut: float) -> np.ndarray:
    """(S, L) residues closer than `cut`, widened by 0.5 A until each row has at least 3."""
    cuts = np.full(len(d), cut)
    while True:
        inside = d < cuts[:, None]
        short = inside.sum(axis=1) < min(3, d.shape[1])
        if not short.any():
            return inside
        cuts[short] += 0.5


def tm_score(model: np.ndarray, reference: np.ndarray, *, iterations: int = 20) -> float:
    """TM-score of `model` against `reference` (normalised by the reference's length L):
    max over superpositions of (1/L) sum_i 1 / (1 + (d_i / d0)^2). The superposition is
    searched as the TM-score program does: from every seed fragment, superpose on it, keep the
    residues within d0_search + 1 A, superpose again, up to `iterations` times."""
    _check_pair(model, reference)
    length = len(reference)
    d0 = tm_d0(length)
    d0_search = min(max(d0, 4.5), 8.0)
    masks = _seed_masks(length)
    best = 0.0
    cut = d0_search - 1.0
    for _ in range(iterations + 1):
        rotation, translation = kabsch(model[None], reference, masks)
        moved = np.einsum("sab,lb->sla", rotation, model) + translation[:, None]  # (S, L, 3)
        d = np.sqrt(((moved - reference) ** 2).sum(axis=-1))  # (S, L)
        best = max(best, float((1.0 / (1.0 + (d / d0) ** 2)).sum(axis=1).max() / length))
        new = _within(d, cut)
        moving = (new != masks).any(axis=1)  # seeds whose residue set still changes
        if not moving.any():
            break
        masks, cut = np.unique(new[moving], axis=0), d0_search + 1.0
    return best


def tm_score_either_hand(model: np.ndarray, reference: np.ndarray) -> float:
    """The better TM-score of the model and its mirror image (distances fix no handedness)."""
    return max(tm_score(model, reference), tm_score(model * np.array([1, 1, -1]), reference))


def lddt(model: np.ndarray, reference: np.ndarray) -> float:
    """C-alpha lDDT: of the pairs within 15 A in the reference, the fraction whose distance the
    model keeps within 0.5, 1, 2 and 4 A, averaged over the four thresholds. No superposition."""
    _check_pair(model, reference)
    d_ref = np.linalg.norm(reference[:, None] - reference[None], axis=-1)
    d_mod = np.linalg.norm(model[:, None] - model[None], axis=-1)
    pairs = (d_ref < LDDT_RADIUS) & ~np.eye(len(reference), dtype=bool)
    err = np.abs(d_ref - d_mod)[pairs]
    return float(np.mean([(err < t).mean() for t in LDDT_THRESHOLDS]))
