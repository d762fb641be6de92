"""Linear regions of ReLU networks: exact counting on a line, grid estimates in 2-D (lecture 2).

A ReLU network is piecewise linear; each piece is a set of inputs with one activation pattern
(which hidden units are on). Lecture 2: the number of pieces can grow exponentially with depth
and only polynomially with width. The construction is Montufar et al. (2014), "On the number of
linear regions of deep neural networks", section 3, in the tent-map form of Telgarsky (2016),
"Benefits of depth in neural networks", Lemma 3.5: L composed tent maps, each two ReLUs, have
2^L pieces on [0, 1], while one hidden layer of n ReLUs on a line has at most n + 1.
Hanin & Rolnick (2019), "Complexity of linear regions in deep networks", count regions at random
initialisation, as `count_regions_2d` estimates here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class ReLUNet:
    """A ReLU MLP by its affine layers, weights (out, in) as in torch; ReLU after all but last."""

    weights: tuple[np.ndarray, ...]
    biases: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if len(self.weights) != len(self.biases) or not self.weights:
            raise ValueError("a ReLUNet needs as many bias vectors as weight matrices, at least 1")
        for i, (w, b) in enumerate(zip(self.weights, self.biases, strict=True)):
            if w.ndim != 2 or b.shape != (w.shape[0],):
                raise ValueError(f"layer {i}: weight (out, in) and bias (out,) expected, got "
                                 f"{w.shape} and {b.shape}")
            if i and w.shape[1] != self.weights[i - 1].shape[0]:
                raise ValueError(f"layer {i} takes {w.shape[1]} inputs, the layer before gives "
                                 f"{self.weights[i - 1].shape[0]}")

    @classmethod
    def from_layers(cls, layers: Sequence[tuple[np.ndarray, np.ndarray]]) -> ReLUNet:
        return cls(tuple(np.asarray(w, np.float64) for w, _ in layers),
                   tuple(np.asarray(b, np.float64) for _, b in layers))

    @classmethod
    def from_torch(cls, net: torch.nn.Sequential) -> ReLUNet:
        """The Linear layers of a Linear-ReLU-...-Linear `torch.nn.Sequential`."""
        linears = [m for m in net if isinstance(m, torch.nn.Linear)]
        return cls.from_layers([(m.weight.detach().double().cpu().numpy(),
                                 m.bias.detach().double().cpu().numpy()) for m in linears])

    @property
    def in_features(self) -> int:
        return self.weights[0].shape[1]

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """The output for inputs x (P, in) -> (P, out)."""
        h = x
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            h = np.maximum(h @ w.T + b, 0.0)
        return h @ self.weights[-1].T + self.biases[-1]

    def activation_pattern(self, x: np.ndarray) -> np.ndarray:
        """Which hidden units are on at each input: x (P, in) -> (P, hidden units) bools."""
        h, on = x, []
        for w, b in zip(self.weights[:-1], self.biases[:-1], strict=True):
            z = h @ w.T + b
            on.append(z > 0)
            h = np.maximum(z, 0.0)
        return np.concatenate(on, axis=1) if on else np.zeros((len(x), 0), bool)


def breakpoints_1d(net: ReLUNet, lo: float, hi: float, *, tol: float = 1e-12) -> np.ndarray:
    """Inputs in (lo, hi) where some hidden unit's pre-activation crosses zero, sorted.

    Exact up to float tolerance: layer by layer, between known breakpoints every pre-activation
    is affine in x, so each unit's zero crossing is solved in closed form. Roots closer than
    `tol * (hi - lo)` to a known breakpoint (a unit that only touches zero) add nothing.
    """
    if net.in_features != 1:
        raise ValueError(f"breakpoints_1d needs a network with 1 input, got {net.in_features}")
    if not hi > lo:
        raise ValueError(f"need lo < hi, got lo={lo}, hi={hi}")
    eps = tol * (hi - lo)
    points = np.array([lo, hi], dtype=np.float64)
    for depth in range(len(net.weights) - 1):
        left, right = points[:-1], points[1:]
        z_left, z_right = pre_activation(net, left, depth), pre_activation(net, right, depth)
        slope = (z_right - z_left) / (right - left)[:, None]  # (intervals, units)
        with np.errstate(divide="ignore", invalid="ignore"):
            root = left[:, None] - z_left / slope
        inside = (slope != 0) & (root > left[:, None] + eps) & (root < right[:, None] - eps)
        points = np.unique(np.concatenate([points, root[inside]]))
    return points[1:-1]


def pre_activation(net: ReLUNet, x: np.ndarray, depth: int) -> np.ndarray:
    """Pre-activations of hidden layer `depth` at the 1-D inputs x (P,) -> (P, units)."""
    h = x[:, None]
    for w, b in zip(net.weights[:depth], net.biases[:depth], strict=True):
        h = np.maximum(h @ w.T + b, 0.0)
    return h @ net.weights[depth].T + net.biases[depth]


def count_regions_1d(net: ReLUNet, lo: float, hi: float) -> int:
    """Exact number of linear regions of a 1-input ReLU net on [lo, hi].

    A region is a maximal interval with one activation pattern: the intervals between
    breakpoints, with neighbours that share a pattern merged.
    """
    points = np.concatenate([[lo], breakpoints_1d(net, lo, hi), [hi]])
    mids = (points[:-1] + points[1:]) / 2
    patterns = net.activation_pattern(mids[:, None])
    changes = np.any(patterns[1:] != patterns[:-1], axis=1)
    return 1 + int(changes.sum())


def count_linear_pieces_1d(net: ReLUNet, lo: float, hi: float, *, rtol: float = 1e-9) -> int:
    """Number of maximal intervals of [lo, hi] on which the output is affine.

    At most `count_regions_1d`: neighbouring regions whose output slopes agree (to `rtol`)
    form one linear piece.
    """
    points = np.concatenate([[lo], breakpoints_1d(net, lo, hi), [hi]])
    values = net(points[:, None])  # (P, out)
    slopes = (values[1:] - values[:-1]) / np.diff(points)[:, None]
    scale = np.abs(slopes).max(initial=0.0)
    bends = np.any(np.abs(slopes[1:] - slopes[:-1]) > rtol * max(scale, 1.0), axis=1)
    return 1 + int(bends.sum())


def count_regions_2d(net: ReLUNet, bounds: tuple[float, float, float, float], *,
                     resolution: int = 256) -> int:
    """Estimated number of linear regions of a 2-input ReLU net on a rectangle.

    An estimate, not an exact count: the number of distinct activation patterns among
    resolution x resolution grid points of bounds = (x_lo, x_hi, y_lo, y_hi). Regions smaller
    than the grid spacing are missed, and a pattern whose region is disconnected counts once.
    """
    if net.in_features != 2:
        raise ValueError(f"count_regions_2d needs a network with 2 inputs, got {net.in_features}")
    x_lo, x_hi, y_lo, y_hi = bounds
    if not (x_hi > x_lo and y_hi > y_lo):
        raise ValueError(f"bounds must be (x_lo, x_hi, y_lo, y_hi) with lo < hi, got {bounds}")
    gx, gy = np.meshgrid(np.linspace(x_lo, x_hi, resolution), np.linspace(y_lo, y_hi, resolution))
    grid = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (resolution^2, 2)
    packed = np.packbits(net.activation_pattern(grid), axis=1)  # (resolution^2, bytes)
    return len(np.unique(packed.view(np.dtype((np.void, packed.shape[1]))).ravel()))


def tent_map_network(depth: int) -> ReLUNet:
    """L composed tent maps T(x) = 2 relu(x) - 4 relu(x - 1/2), L hidden layers of width 2.

    Telgarsky (2016), Lemma 3.5: T^L is a sawtooth with 2^L linear pieces on [0, 1]. Each
    layer's two units read T of the layer below, so T's output weights fold into the next layer.
    """
    if depth < 1:
        raise ValueError(f"depth must be at least 1, got {depth}")
    fold = np.array([[2.0, -4.0]])  # T(x) from (relu(x), relu(x - 1/2))
    units = np.array([[1.0], [1.0]]), np.array([0.0, -0.5])  # x -> (x, x - 1/2)
    layers = [units] + [(units[0] @ fold, units[1]) for _ in range(depth - 1)]
    return ReLUNet.from_layers([*layers, (fold, np.zeros(1))])


def random_relu_net(widths: Sequence[int], *, rng: np.random.Generator,
                    bias_std: float = 0.1) -> ReLUNet:
    """He-initialised ReLU MLP: weights N(0, 2/fan_in), biases N(0, bias_std^2), 1 output.

    `widths` = (inputs, hidden, ..., hidden). He et al. (2015), section 2.2.
    """
    if len(widths) < 2 or min(widths) < 1:
        raise ValueError(f"widths must be (inputs, hidden...) with positive entries, got {widths}")
    sizes = [*widths, 1]
    return ReLUNet.from_layers([
        (rng.normal(0.0, np.sqrt(2.0 / n_in), (n_out, n_in)), rng.normal(0.0, bias_std, n_out))
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)])
