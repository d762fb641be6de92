"""l2.shattering - high-dimensional spaces are easy to shatter with hyperplanes (lecture 2).

Cover (1965), Theorem 1: of the 2^N labelings of N points in general position in R^d, exactly
C(N, d) = 2 sum_{k<d} binom(N-1, k) are separable by a hyperplane through the origin, so random
labels are separable with probability C(N, d) / 2^N, which drops from 1 to 0 around N = 2d.
Gaussian points are in general position almost surely. Separability is decided per trial by an
LP (`linearly_separable`, scipy HiGHS).

Which hyperplanes: the criterion's C(N, d) counts homogeneous separators (w . x = 0), so those
decide the first check. An affine separator (w . x + b) in R^d is a homogeneous one in R^{d+1},
with count C(N, d + 1); the second check runs the LP with a bias against that count, on the
same points and labels (only where the first LP failed: a separator through the origin is an
affine one with b = 0). N = round(ratio * d), halves rounded up (d = 5: N = 3, 8, 13).
Trials: with T = 800 a fraction's standard error is at most 0.5 / sqrt(T) = 0.018; by binomial
tails, sampling noise alone puts one of the 12 cells of a check beyond 0.05 with chance about
1% (about 40% at the criterion's minimum of 200 trials).
"""

import math
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from lecturelab.foundations.separability import cover_fraction, linearly_separable
from lecturelab.lab import Check, Result, Run, experiment

TOLERANCE = 0.05  # the criterion's allowed gap between measured fraction and Cover's


@dataclass(frozen=True)
class ShatteringConfig:
    dims: tuple[int, ...] = (5, 25)  # input dimensions d
    ratios: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0)  # N / d
    trials: int = 800  # random point sets with random labels per (d, N), at least 200


@experiment(
    "l2.shattering", lecture=2,
    claim="High-dimensional spaces are surprisingly easy to shatter with hyperplanes.",
    criterion="for N random points in R^d with random labels, the fraction of linearly separable "
              "labelings (LP) matches Cover's count C(N,d)/2^N within 0.05 for d in {5,25} and "
              "N/d in {0.5,1,1.5,2,2.5,3} (at least 200 trials each)",
    quick=ShatteringConfig(), full=ShatteringConfig(trials=10000),
    smoke=ShatteringConfig(dims=(5,), ratios=(1.0, 2.0), trials=10),
)
def shattering(cfg: ShatteringConfig, run: Run) -> Result:
    rng = np.random.default_rng(run.seed)
    rows = []
    for d in cfg.dims:
        for ratio in cfg.ratios:
            n = math.floor(ratio * d + 0.5)
            homogeneous, affine = separable_fractions(d, n, cfg.trials, rng)
            rows.append({"d": d, "N": n, "homogeneous": homogeneous, "affine": affine,
                         "cover_homogeneous": cover_fraction(n, d),
                         "cover_affine": cover_fraction(n, d + 1)})
            run.log(f"d={d} N={n}: through origin {homogeneous:.3f} vs C(N,d)/2^N "
                    f"{rows[-1]['cover_homogeneous']:.3f}; affine {affine:.3f} vs "
                    f"C(N,d+1)/2^N {rows[-1]['cover_affine']:.3f}")
    gap_h = max(abs(r["homogeneous"] - r["cover_homogeneous"]) for r in rows)
    gap_a = max(abs(r["affine"] - r["cover_affine"]) for r in rows)

    fig = cover_figure(rows, cfg)
    return Result(
        metrics={"cells": rows, "max_gap_homogeneous": gap_h, "max_gap_affine": gap_a,
                 "trials": cfg.trials},
        checks=[
            Check.at_most(f"largest gap, separable fraction (through the origin) vs C(N,d)/2^N, "
                          f"over {len(rows)} cells", gap_h, TOLERANCE),
            Check.at_most(f"largest gap, affine separators (with bias) vs C(N,d+1)/2^N, over "
                          f"{len(rows)} cells", gap_a, TOLERANCE),
        ],
        notes=[f"{cfg.trials} trials per cell (the criterion asks for at least 200)"],
        figures={"cover": fig},
        headline=("max_gap_homogeneous", "max_gap_affine"),
    )


def separable_fractions(d: int, n: int, trials: int,
                        rng: np.random.Generator) -> tuple[float, float]:
    """Fractions of random labelings of N Gaussian points in R^d separable through the origin
    and by an affine hyperplane."""
    homogeneous = affine = 0
    for _ in range(trials):
        x = rng.standard_normal((n, d))
        y = rng.choice([-1, 1], size=n)
        through_origin = linearly_separable(x, y, bias=False)
        homogeneous += through_origin
        affine += through_origin or linearly_separable(x, y, bias=True)
    return homogeneous / trials, affine / trials


def cover_figure(rows: list[dict], cfg: ShatteringConfig) -> Figure:
    """Measured separable fractions against Cover's curves, through the origin and affine."""
    fig = Figure(figsize=(11, 4), layout="constrained")
    for ax, kind, shift in zip(fig.subplots(1, 2), ("homogeneous", "affine"), (0, 1), strict=True):
        for i, d in enumerate(cfg.dims):
            ns = np.arange(1, math.ceil(max(cfg.ratios) * d) + 1)
            ax.plot(ns / d, [cover_fraction(int(n), d + shift) for n in ns], f"C{i}-",
                    label=f"Cover, d={d}")
            mine = [r for r in rows if r["d"] == d]
            ax.plot([r["N"] / d for r in mine], [r[kind] for r in mine], f"C{i}o",
                    label=f"LP, {cfg.trials} trials")
        through = "w.x = 0: C(N,d)" if kind == "homogeneous" else "w.x + b = 0: C(N,d+1)"
        ax.set(title=f"separable fraction, {through} / 2^N", xlabel="N / d")
        ax.legend(fontsize=7)
    return fig
