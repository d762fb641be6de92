"""Analytic textures of the `motion` data: functions (u, v) -> RGB of a layer's own coordinates,
so a frame renders exactly under any motion of the layer."""

from __future__ import annotations

import numpy as np

from lecturelab.data.shapes import _colour, _contrasting


class Gratings:
    """A texture of `n` random sinusoidal gratings (periods 4-14 px) mixing two colours: an
    analytic function (u, v) -> RGB (..., 3), so it renders exactly under any motion."""

    def __init__(self, rng: np.random.Generator, against: np.ndarray | None = None,
                 n: int = 3) -> None:
        self.c1 = _colour(rng, value=(0.2, 1.0)) if against is None else _contrasting(rng,
                                                                                       against)
        self.c2 = _colour(rng, value=(0.0, 1.0))
        self.angles, self.periods = rng.uniform(0, np.pi, n), rng.uniform(4, 14, n)
        self.phases, self.weights = rng.uniform(0, 2 * np.pi, n), rng.dirichlet(np.ones(n))

    @property
    def mean_colour(self) -> np.ndarray:
        return (self.c1 + self.c2) / 2

    def __call__(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        waves = [w * np.sin(2 * np.pi * (u * np.cos(a) + v * np.sin(a)) / p + f)
                 for a, p, f, w in zip(self.angles, self.periods, self.phases, self.weights,
                                       strict=True)]
        mix = 0.5 + 0.5 * np.sum(waves, axis=0)
        return self.c1 + mix[..., None] * (self.c2 - self.c1)


class LatticeNoise:
    """Value noise: random RGB values on a square lattice of spacing 2-5 px, interpolated
    bilinearly and repeating every 32 lattice cells, tinted towards a base colour. Defined at
    every real point (u, v), so, like `Gratings`, it renders exactly under any motion, and it
    has no aperture problem: every patch is unique in both directions."""

    def __init__(self, rng: np.random.Generator, against: np.ndarray | None = None,
                 cells: int = 32) -> None:
        self.base = _colour(rng, value=(0.2, 1.0)) if against is None else _contrasting(
            rng, against)
        self.spacing = rng.uniform(2, 5)
        self.values = rng.random((cells, cells, 3))

    @property
    def mean_colour(self) -> np.ndarray:
        return 0.5 * self.base + 0.25 * 255

    def __call__(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        n = len(self.values)
        gx, gy = u / self.spacing, v / self.spacing
        x0, y0 = np.floor(gx), np.floor(gy)
        fx, fy = (gx - x0)[..., None], (gy - y0)[..., None]
        i, j = x0.astype(np.int64) % n, y0.astype(np.int64) % n
        i1, j1 = (i + 1) % n, (j + 1) % n
        top = (1 - fx) * self.values[j, i] + fx * self.values[j, i1]
        bottom = (1 - fx) * self.values[j1, i] + fx * self.values[j1, i1]
        return 0.5 * self.base + 0.5 * 255 * ((1 - fy) * top + fy * bottom)
