"""Linear separability by linear programming, and Cover's function-counting theorem (lecture 2).

Lecture 2: high-dimensional spaces are surprisingly easy to shatter with hyperplanes. Cover
(1965), "Geometrical and statistical properties of systems of linear inequalities with
applications in pattern recognition", Theorem 1: N points in general position in R^d admit

    C(N, d) = 2 * sum_{k=0}^{d-1} binom(N - 1, k)

dichotomies separable by a hyperplane through the origin (homogeneous, w . x = 0). An affine
separator w . x + b in R^d is a homogeneous one in R^{d+1} (append a 1 to every point), so
affine dichotomies number C(N, d + 1). `cover_count` is Cover's C exactly; callers pass d + 1
for separators with a bias, as `linearly_separable(..., bias=True)` uses.
"""

from __future__ import annotations

from math import comb

import numpy as np
from scipy.optimize import linprog


def linearly_separable(x: np.ndarray, y: np.ndarray, *, bias: bool = True) -> bool:
    """Whether a hyperplane strictly separates the two classes: an LP feasibility problem.

    Find w (and b when `bias`) with y_i (w . x_i + b) >= 1 for all i; labels are -1/+1 or 0/1.
    Feasible exactly when a strict separator exists (scale any one up to margin 1). Solved by
    scipy's HiGHS with a zero objective: dual simplex, then interior point if the simplex ends
    with numerical trouble (it does on rare near-degenerate sets).
    """
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"x must have shape (N, d), got {x.shape}")
    signs = label_signs(y, len(x))
    a = x * signs[:, None]
    if bias:
        a = np.hstack([a, signs[:, None]])  # (N, d + 1): the bias is one more weight
    for method in ("highs", "highs-ipm"):  # interior point where the simplex stalls
        result = linprog(np.zeros(a.shape[1]), A_ub=-a, b_ub=-np.ones(len(a)),
                         bounds=(None, None), method=method)
        if result.status in (0, 2):  # feasible, infeasible
            return result.status == 0
    raise RuntimeError(f"the separability LP ended with status {result.status}: {result.message}")


def label_signs(y: np.ndarray, n: int) -> np.ndarray:
    """Labels -1/+1 or 0/1 (or bools) as float signs -1/+1, checked against N points."""
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y must have shape ({n},) to match x, got {y.shape}")
    values = set(np.unique(y).tolist())
    if values <= {-1, 1}:
        return y.astype(np.float64)
    if values <= {0, 1}:
        return 2.0 * y.astype(np.float64) - 1.0
    raise ValueError(f"y must hold two classes as -1/+1 or 0/1, got values {sorted(values)}")


def cover_count(n: int, d: int) -> int:
    """Cover's C(N, d): homogeneously separable dichotomies of N points in general position in R^d.

    Equals 2^N when N <= d. For affine separators in R^d, use cover_count(n, d + 1).
    """
    if n < 1 or d < 1:
        raise ValueError(f"need N >= 1 points and dimension d >= 1, got N={n}, d={d}")
    return 2 * sum(comb(n - 1, k) for k in range(d))


def cover_fraction(n: int, d: int) -> float:
    """C(N, d) / 2^N: the chance that uniformly random labels are homogeneously separable."""
    return cover_count(n, d) / 2**n
