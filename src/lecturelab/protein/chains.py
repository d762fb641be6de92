"""Synthetic protein-like C-alpha chains (lecture 1, "Folding proteins with AlphaFold").

A chain is grown residue by residue from internal coordinates (the NeRF construction): each new
C-alpha sits 3.8 A from the last, at a virtual bond angle and dihedral drawn for its segment:
helix-like (about 91 and 50 degrees, as C-alpha traces of alpha helices), strand-like (about 120
and -170 degrees) or loop (wide ranges). Among a few candidate positions a loop residue takes the
one nearest the centre, which packs the chain into a compact fold; a candidate closer than
`CLASH` to any earlier residue is never taken. No real protein is involved: these are toy folds
whose geometry resembles C-alpha traces (Senior et al. 2020 work on real ones).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BOND = 3.8  # C-alpha to C-alpha distance of a trans peptide, in A
CLASH = 4.0  # no two residues at least 2 apart come closer than this, in A
SEGMENT_ANGLES = {  # (bond angle mean, sd; dihedral mean, sd) in degrees
    "H": (91.0, 3.0, 50.0, 8.0),
    "E": (120.0, 5.0, -170.0, 12.0),
}


@dataclass(frozen=True)
class Chain:
    """A C-alpha trace with its secondary-structure string (H helix, E strand, L loop)."""

    coords: np.ndarray  # (L, 3), in A
    secondary: str

    def __len__(self) -> int:
        return len(self.coords)


def place_next(a: np.ndarray, b: np.ndarray, c: np.ndarray, angle: np.ndarray,
               dihedral: np.ndarray, bond: float = BOND) -> np.ndarray:
    """Points d with |cd| = bond, angle(b, c, d) = angle and dihedral(a, b, c, d) = dihedral
    (radians, arrays of K): the natural extension reference frame (Parsons et al. 2005).
    Returns (K, 3)."""
    bc = _unit(c - b)
    n = _unit(_cross(b - a, bc))
    m = _cross(n, bc)
    along = -np.cos(angle)[:, None] * bc
    across = (np.sin(angle) * np.cos(dihedral))[:, None] * m
    out = (np.sin(angle) * np.sin(dihedral))[:, None] * n
    return c + bond * (along + across + out)


def _cross(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Cross product of two 3-vectors (np.cross is slow for one pair)."""
    return np.array([u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2],
                     u[0] * v[1] - u[1] * v[0]])


def _unit(u: np.ndarray) -> np.ndarray:
    return u / np.sqrt(u @ u)


def secondary_structure(length: int, rng: np.random.Generator) -> str:
    """Alternating loops and helix / strand segments, as in small alpha/beta folds."""
    parts: list[str] = []
    total = 0
    while total < length:
        loop = int(rng.integers(2, 6))
        kind = "H" if rng.random() < 0.5 else "E"
        run = int(rng.integers(7, 13)) if kind == "H" else int(rng.integers(4, 8))
        parts.append("L" * loop + kind * run)
        total += loop + run
    return "".join(parts)[:length]


def _segment_angles(kind: str, rng: np.random.Generator, n: int) -> tuple[np.ndarray, ...]:
    if kind == "L":
        return (np.radians(rng.uniform(85, 140, n)), np.radians(rng.uniform(-180, 180, n)))
    angle, angle_sd, dihedral, dihedral_sd = SEGMENT_ANGLES[kind]
    return (np.radians(rng.normal(angle, angle_sd, n)),
            np.radians(rng.normal(dihedral, dihedral_sd, n)))


def _grow(secondary: str, rng: np.random.Generator, candidates: int, compact: bool,
          backtracks: int = 50) -> np.ndarray | None:
    """One growth attempt, stepping back 4 residues when every candidate of one clashes;
    None after `backtracks` such steps."""
    length = len(secondary)
    coords = np.zeros((length, 3))
    coords[1] = [BOND, 0, 0]
    theta = np.radians(110)
    coords[2] = coords[1] + BOND * np.array([-np.cos(theta), np.sin(theta), 0])
    i = 3
    while i < length:
        angles, dihedrals = _segment_angles(secondary[i], rng, candidates)
        options = place_next(coords[i - 3], coords[i - 2], coords[i - 1], angles,
                             dihedrals)  # (K, 3)
        gaps = ((options[:, None] - coords[None, : i - 1]) ** 2).sum(-1)  # (K, i-1), squared
        ok = gaps.min(axis=1) >= CLASH**2
        if not ok.any():
            backtracks -= 1
            if backtracks < 0:
                return None
            i = max(3, i - 4)
            continue
        if compact and secondary[i] == "L":
            centre = coords[:i].mean(axis=0)
            spread = ((options - centre) ** 2).sum(axis=1)
            pick = int(np.argmin(np.where(ok, spread, np.inf)))
        else:
            pick = int(rng.choice(np.flatnonzero(ok)))
        coords[i] = options[pick]
        i += 1
    return coords - coords.mean(axis=0)


def radius_of_gyration(coords: np.ndarray) -> float:
    return float(np.sqrt(((coords - coords.mean(axis=0)) ** 2).sum(axis=1).mean()))


def compact_radius(length: int) -> float:
    """The radius of gyration a compact fold may have: 2.2 L^0.38 A (Skolnick et al. 1997's
    fit to globular proteins), with 30% slack."""
    return 1.3 * 2.2 * length ** 0.38


def make_chain(length: int, rng: np.random.Generator, *, candidates: int = 12,
               compact: bool = True, attempts: int = 200) -> Chain:
    """A compact protein-like chain of `length` residues (random coil if compact=False)."""
    if length < 4:
        raise ValueError(f"chain length must be at least 4 residues, got {length}")
    for _ in range(attempts):
        secondary = secondary_structure(length, rng) if compact else "L" * length
        coords = _grow(secondary, rng, candidates, compact)
        if coords is not None and (not compact or
                                   radius_of_gyration(coords) <= compact_radius(length)):
            return Chain(coords, secondary)
    raise RuntimeError(f"no chain of length {length} grew in {attempts} attempts")


def random_coil(length: int, rng: np.random.Generator) -> np.ndarray:
    """A self-avoiding random coil: loop angles throughout, no packing (the baseline fold)."""
    return make_chain(length, rng, compact=False).coords


def distance_matrix(coords: np.ndarray) -> np.ndarray:
    """(L, L) Euclidean distances between C-alphas."""
    return np.linalg.norm(coords[:, None] - coords[None], axis=-1)


def contact_map(coords: np.ndarray, cutoff: float = 8.0) -> np.ndarray:
    """(L, L) bool: C-alpha pairs closer than `cutoff` A (the diagonal excluded)."""
    d = distance_matrix(coords)
    return (d < cutoff) & ~np.eye(len(coords), dtype=bool)
