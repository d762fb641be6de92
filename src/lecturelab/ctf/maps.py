"""Procedurally generated capture-the-flag maps (FTW, Jaderberg et al. 2019, Sec. "Environment":
"procedurally generated maps", each game on a new map).

A map is a small grid of walls with two bases, each holding its team's flag. Maps are symmetric
under a half turn (cell (r, c) mirrors (H-1-r, W-1-c)), so neither team is favoured, and every
free cell is reachable from both bases. A map's hash reserves it for training or testing, so a
test map is never trained on even when two seeds draw the same map.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

MOVES = np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])  # stay, up, down, left, right
TEST_FRACTION = 0.25  # share of map hashes reserved for testing


@dataclass(frozen=True, eq=False)
class Map:
    """walls: (H, W) bool; bases: (2, 2) int, team t's base (and flag home) at bases[t]."""

    walls: np.ndarray
    bases: np.ndarray

    @property
    def shape(self) -> tuple[int, int]:
        return self.walls.shape  # type: ignore[return-value]


def mirror(cells: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """The half-turn image of (..., 2) cells on a grid of `shape`."""
    return np.array(shape) - 1 - cells


def generate_map(seed: int, *, size: int = 7, wall_density: float = 0.2) -> Map:
    """A symmetric, connected map drawn from `seed`. Walls are drawn on one half and mirrored;
    a draw whose bases are not connected is redrawn; free cells cut off from the bases become
    walls (the cut-off set is itself symmetric, so symmetry survives)."""
    if size < 5 or size % 2 == 0:
        raise ValueError(f"map size must be odd and at least 5, got {size}")
    if not 0 <= wall_density < 0.5:
        raise ValueError(f"wall_density must be in [0, 0.5), got {wall_density}")
    rng = np.random.default_rng([seed, size])
    while True:
        base = np.array([int(rng.integers(size)), int(rng.integers(2))])
        bases = np.stack([base, mirror(base, (size, size))])
        walls = rng.random((size, size)) < wall_density
        walls = walls | walls[::-1, ::-1]  # symmetric under a half turn
        walls[tuple(bases.T)] = False
        labels, _ = ndimage.label(~walls)  # 4-connected free regions
        if labels[tuple(bases[0])] == labels[tuple(bases[1])]:
            return Map(walls | (labels != labels[tuple(bases[0])]), bases)


def map_hash(m: Map) -> str:
    """A hex digest of the walls and bases: two maps share it exactly when they are equal."""
    h = hashlib.sha256(np.asarray(m.walls.shape, np.int64).tobytes())
    h.update(np.packbits(m.walls).tobytes())
    h.update(np.asarray(m.bases, np.int64).tobytes())
    return h.hexdigest()


def split_of(m: Map) -> str:
    """"test" for the share TEST_FRACTION of hashes, else "train"."""
    return "test" if int(map_hash(m)[:8], 16) < TEST_FRACTION * 16**8 else "train"


def maps_for(split: str, n: int, *, seed: int, size: int = 7,
             wall_density: float = 0.2) -> list[Map]:
    """`n` maps of `split` ("train" or "test"), the first that seeds seed*100_003 + 0, 1, ...
    draw; a map of the other split is skipped, never used."""
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    found, k = [], 0
    while len(found) < n:
        m = generate_map(seed * 100_003 + k, size=size, wall_density=wall_density)
        k += 1
        if split_of(m) == split:
            found.append(m)
    return found


def is_connected(m: Map) -> bool:
    """Every free cell reachable from every other (4-neighbour moves)."""
    _, regions = ndimage.label(~m.walls)
    return regions == 1


def render_map(m: Map) -> str:
    """The map as text: '#' wall, '.' free, 'A' / 'B' the two bases."""
    rows = [["#" if w else "." for w in row] for row in m.walls]
    for t, (r, c) in enumerate(m.bases):
        rows[r][c] = "AB"[t]
    return "\n".join("".join(row) for row in rows)
