"""Lecture-2 debug metrics: dead ReLUs, weight and gradient norms per layer, a NaN/inf finder.

Lecture 2: "ReLU needs careful initialization due to dead neurons (debug metric)", "monitor norms
of weights", and Karpathy's "A Recipe for Training Neural Networks" (2019). A layer is a module
that owns parameters directly (a Linear, a Conv2d, a norm layer); its norm is taken over all of
them together, weight and bias.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import torch
from torch import nn


@torch.no_grad()
def dead_relu_fraction(model: nn.Module, x_batches: Iterable[torch.Tensor]) -> dict[str, float]:
    """For each nn.ReLU module: the fraction of its units never active (output > 0) on any input.

    A unit is one feature of a (B, C) output, or one channel of a (B, C, ...) output (a channel
    counts as alive if it fires anywhere). The model runs in eval mode, so batch-norm statistics
    are left untouched, and its training flag is restored afterwards. A ReLU module called twice
    in one forward pass pools both calls. Functional relu calls are not seen.
    """
    alive: dict[str, torch.Tensor] = {}

    def record(name: str) -> Callable[[nn.Module, tuple, torch.Tensor], None]:
        def hook(module: nn.Module, inputs: tuple, out: torch.Tensor) -> None:
            out = out if out.ndim > 1 else out[:, None]  # (B, C, ...)
            fired = (out > 0).transpose(0, 1).flatten(1).any(dim=1)  # (C,)
            if name in alive and alive[name].shape != fired.shape:
                raise ValueError(f"ReLU {name!r} saw outputs with {fired.numel()} and "
                                 f"{alive[name].numel()} units; cannot pool them")
            alive[name] = fired | alive[name] if name in alive else fired
        return hook

    handles = [m.register_forward_hook(record(name)) for name, m in model.named_modules()
               if isinstance(m, nn.ReLU)]
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        for x in x_batches:
            model(x.to(device))
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return {name: 1.0 - a.float().mean().item() for name, a in alive.items()}


def total_norm(tensors: Iterable[torch.Tensor]) -> float:
    norms = torch.stack([torch.linalg.vector_norm(t) for t in tensors])
    return torch.linalg.vector_norm(norms).item()


def layers(model: nn.Module) -> Iterable[tuple[str, list[nn.Parameter]]]:
    """(name, parameters it owns directly) for each module that owns any."""
    for name, module in model.named_modules():
        params = list(module.parameters(recurse=False))
        if params:
            yield name, params


@torch.no_grad()
def weight_norms(model: nn.Module) -> dict[str, float]:
    """The L2 (Frobenius) norm of each layer's parameters."""
    return {name: total_norm(params) for name, params in layers(model)}


@torch.no_grad()
def grad_norms(model: nn.Module) -> dict[str, float]:
    """The L2 norm of each layer's parameter gradients; layers without gradients are left out."""
    norms = {}
    for name, params in layers(model):
        grads = [p.grad for p in params if p.grad is not None]
        if grads:
            norms[name] = total_norm(grads)
    return norms


@torch.no_grad()
def first_nonfinite(model: nn.Module) -> str | None:
    """The name of the first parameter, or parameter gradient ("<name>.grad"), holding NaN/inf."""
    for name, p in model.named_parameters():
        if not torch.isfinite(p).all():
            return name
        if p.grad is not None and not torch.isfinite(p.grad).all():
            return f"{name}.grad"
    return None
