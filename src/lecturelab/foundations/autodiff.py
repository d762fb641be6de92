"""A small reverse-mode automatic differentiation engine on NumPy arrays (lecture 2).

Lecture 2 presents a neural network as a computational graph: a forward pass computes values
node by node, and a backward pass sends gradients (vector-Jacobian products) from the loss back to
every parameter. This is micrograd (Karpathy 2020) on arrays instead of scalars, with the ops of
the lecture: the linear layer, ReLU, max, sum and softmax cross-entropy (plus add / mul), after
Rumelhart, Hinton & Williams (1986) and Baydin et al. (2018), "Automatic differentiation in
machine learning: a survey", section 3.2 (reverse mode).

Conventions: `affine(x, W, b)` is `x @ W.T + b` with W of shape (out, in), as torch's
`F.linear`, so the layer's Jacobian dy/dx is W itself. `max` sends the whole gradient to one
arg-max (the first on ties), never splitting it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


class Tensor:
    """A node of the computational graph: a float64 array, its gradient and how it was made."""

    def __init__(self, data: np.ndarray | float, _parents: tuple[Tensor, ...] = (),
                 op: str = "") -> None:
        self.data = np.asarray(data, dtype=np.float64)
        self.grad = np.zeros_like(self.data)
        self._parents = _parents
        self._backward: Callable[[], None] = lambda: None
        self.op = op

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    def __repr__(self) -> str:
        return f"Tensor(shape={self.shape}, op={self.op!r})"

    def __add__(self, other: Tensor | float) -> Tensor:
        other = as_tensor(other)
        out = Tensor(self.data + other.data, (self, other), "+")

        def backward() -> None:
            self.grad += unbroadcast(out.grad, self.shape)
            other.grad += unbroadcast(out.grad, other.shape)

        out._backward = backward
        return out

    def __mul__(self, other: Tensor | float) -> Tensor:
        other = as_tensor(other)
        out = Tensor(self.data * other.data, (self, other), "*")

        def backward() -> None:
            self.grad += unbroadcast(out.grad * other.data, self.shape)
            other.grad += unbroadcast(out.grad * self.data, other.shape)

        out._backward = backward
        return out

    __radd__ = __add__
    __rmul__ = __mul__

    def relu(self) -> Tensor:
        out = Tensor(np.maximum(self.data, 0.0), (self,), "relu")

        def backward() -> None:
            self.grad += out.grad * (self.data > 0)

        out._backward = backward
        return out

    def max(self, axis: int) -> Tensor:
        """Max over `axis`; the backward pass routes each gradient to its arg-max only."""
        index = np.expand_dims(self.data.argmax(axis=axis), axis)
        out = Tensor(np.take_along_axis(self.data, index, axis).squeeze(axis), (self,), "max")

        def backward() -> None:
            routed = np.zeros_like(self.data)
            np.put_along_axis(routed, index, np.expand_dims(out.grad, axis), axis)
            self.grad += routed

        out._backward = backward
        return out

    def sum(self, axis: int | None = None) -> Tensor:
        out = Tensor(self.data.sum(axis=axis), (self,), "sum")

        def backward() -> None:
            grad = out.grad if axis is None else np.expand_dims(out.grad, axis)
            self.grad += np.broadcast_to(grad, self.shape)

        out._backward = backward
        return out

    def backward(self, seed: np.ndarray | None = None) -> None:
        """Fill `.grad` of every node this one depends on, in reverse topological order.

        `seed` is the upstream gradient dL/d(self); it defaults to 1 for a scalar. Gradients
        accumulate, as in torch: call `zero_grad` between two backward passes.
        """
        if seed is None and self.data.size != 1:
            raise ValueError(f"backward() of a non-scalar of shape {self.shape} needs a seed")
        seed = np.ones_like(self.data) if seed is None else np.asarray(seed, dtype=np.float64)
        if seed.shape != self.shape:
            raise ValueError(f"seed must have shape {self.shape}, got {seed.shape}")
        order = topological_order(self)
        self.grad = self.grad + seed
        for node in reversed(order):
            node._backward()

    def zero_grad(self) -> None:
        for node in topological_order(self):
            node.grad = np.zeros_like(node.data)


def as_tensor(x: Tensor | np.ndarray | float) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `grad` over the axes that broadcasting added or stretched to reach it from `shape`."""
    grad = grad.sum(axis=tuple(range(grad.ndim - len(shape)))) if grad.ndim > len(shape) else grad
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    return grad.sum(axis=stretched, keepdims=True) if stretched else grad


def topological_order(root: Tensor) -> list[Tensor]:
    """Nodes reachable from `root`, each after all of its parents (iterative depth-first)."""
    order: list[Tensor] = []
    seen: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((p, False) for p in node._parents if id(p) not in seen)
    return order


def affine(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """The linear layer y = x W^T + b: x (B, in), W (out, in), b (out,) -> y (B, out)."""
    if x.data.ndim != 2 or weight.data.ndim != 2 or x.shape[1] != weight.shape[1]:
        raise ValueError(f"affine needs x (B, in) and W (out, in), got {x.shape} and "
                         f"{weight.shape}")
    if bias.shape != (weight.shape[0],):
        raise ValueError(f"bias must have shape ({weight.shape[0]},), got {bias.shape}")
    out = Tensor(x.data @ weight.data.T + bias.data, (x, weight, bias), "affine")

    def backward() -> None:
        x.grad += out.grad @ weight.data  # (B, out) @ (out, in)
        weight.grad += out.grad.T @ x.data  # (out, B) @ (B, in)
        bias.grad += out.grad.sum(axis=0)

    out._backward = backward
    return out


def relu(x: Tensor) -> Tensor:
    return x.relu()


def reduce_max(x: Tensor, axis: int) -> Tensor:
    return x.max(axis)


def reduce_sum(x: Tensor, axis: int | None = None) -> Tensor:
    return x.sum(axis)


def softmax_cross_entropy(logits: Tensor, labels: np.ndarray) -> Tensor:
    """Mean over the batch of -log softmax(z)_y, for logits (B, K) and integer labels (B,).

    The backward pass is the familiar (softmax(z) - onehot(y)) / B.
    """
    labels = np.asarray(labels)
    if logits.data.ndim != 2:
        raise ValueError(f"logits must have shape (B, K), got {logits.shape}")
    batch, classes = logits.shape
    if labels.shape != (batch,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({batch},), got {labels.dtype} "
                         f"{labels.shape}")
    if labels.min(initial=0) < 0 or labels.max(initial=0) >= classes:
        raise ValueError(f"labels must lie in [0, {classes}), got {labels.min()}..{labels.max()}")
    shifted = logits.data - logits.data.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    rows = np.arange(batch)
    out = Tensor(-log_probs[rows, labels].mean(), (logits,), "softmax_ce")

    def backward() -> None:
        grad = np.exp(log_probs)
        grad[rows, labels] -= 1.0
        logits.grad += out.grad * grad / batch

    out._backward = backward
    return out


def jacobian(f: Callable[[Tensor], Tensor], x: np.ndarray) -> np.ndarray:
    """dy/dx of `y = f(x)` as a (y.size, x.size) matrix, one backward pass per output (reverse
    mode builds the Jacobian row by row)."""
    x = np.asarray(x, dtype=np.float64)
    rows = []
    for j in range(f(Tensor(x)).data.size):
        node = Tensor(x)
        y = f(node)
        seed = np.zeros(y.data.size)
        seed[j] = 1.0
        y.backward(seed.reshape(y.shape))
        rows.append(node.grad.reshape(-1))
    return np.stack(rows)  # (y.size, x.size)
