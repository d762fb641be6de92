"""Universal approximation by construction: bumps of steep sigmoid pairs (lecture 2).

The lecture's constructive proof: a steep sigmoid is a step; two steps of opposite sign make a
bump; k bumps (2k hidden neurons) of heights f(midpoint) tile [0, 1] and approximate any
continuous f, the error shrinking as the bumps narrow. This is the visual proof of Nielsen (2015),
"Neural Networks and Deep Learning", chapter 4; the theorem is Cybenko (1989), "Approximation by
superpositions of a sigmoidal function", Theorem 2. Nothing is trained: weights are written down.

Deliberate choice: the outermost bump edges sit on the ends of the domain, where each sigmoid
is at 1/2, so the approximation there is f(first midpoint) / 2 (likewise at the far end).
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def bump(x: torch.Tensor, left: float, right: float, height: float, *,
         steepness: float) -> torch.Tensor:
    """height * (sigmoid(s (x - left)) - sigmoid(s (x - right))): ~height on (left, right)."""
    if not right > left:
        raise ValueError(f"a bump needs left < right, got left={left}, right={right}")
    return height * (torch.sigmoid(steepness * (x - left)) - torch.sigmoid(steepness * (x - right)))


class BumpNetwork(nn.Module):
    """One hidden layer of 2k sigmoid neurons, weights set so that it sums k bumps.

    Neuron pair i steps up at edges[i] and down at edges[i + 1]; the output layer weighs the
    pair by +heights[i] and -heights[i]. Float64, to keep very steep sigmoids exact.
    """

    def __init__(self, edges: torch.Tensor, heights: torch.Tensor, *, steepness: float) -> None:
        super().__init__()
        edges, heights = edges.double(), heights.double()
        if edges.ndim != 1 or heights.shape != (len(edges) - 1,):
            raise ValueError(f"need k + 1 edges and k heights, got {tuple(edges.shape)} edges "
                             f"and {tuple(heights.shape)} heights")
        if not torch.all(edges[1:] > edges[:-1]):
            raise ValueError("edges must increase strictly")
        if steepness <= 0:
            raise ValueError(f"steepness must be positive, got {steepness}")
        k = len(heights)
        self.hidden = nn.Linear(1, 2 * k, dtype=torch.float64)
        self.output = nn.Linear(2 * k, 1, dtype=torch.float64)
        starts_and_ends = torch.stack([edges[:-1], edges[1:]], dim=1).reshape(-1)  # (2k,)
        with torch.no_grad():
            self.hidden.weight.fill_(steepness)
            self.hidden.bias.copy_(-steepness * starts_and_ends)  # step at x = -bias / weight
            self.output.weight.copy_(torch.stack([heights, -heights], dim=1).reshape(1, -1))
            self.output.bias.zero_()

    @property
    def num_bumps(self) -> int:
        return self.hidden.out_features // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (P,) -> f_hat(x) (P,)."""
        h = torch.sigmoid(self.hidden(x.double()[:, None]))  # (P, 2k)
        return self.output(h)[:, 0]


def bumps_for(f: Callable[[torch.Tensor], torch.Tensor], k: int, *, steepness: float,
              lo: float = 0.0, hi: float = 1.0) -> BumpNetwork:
    """A BumpNetwork of k equal-width bumps on [lo, hi], bump i at height f(its midpoint)."""
    if k < 1:
        raise ValueError(f"k (number of bumps) must be at least 1, got {k}")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    edges = torch.linspace(lo, hi, k + 1, dtype=torch.float64)
    heights = f((edges[:-1] + edges[1:]) / 2)
    return BumpNetwork(edges, heights, steepness=steepness)
