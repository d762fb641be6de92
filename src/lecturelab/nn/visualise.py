"""Activation maximisation: what a trained convnet responds to (lecture 3, "Advanced topics").

Gradient ascent on the input, starting from noise, of one activation or class score S(x) minus an
L2 penalty: argmax_x S(x) - l2 ||x||^2 (Simonyan, Vedaldi & Zisserman 2014, Sec. 2, "class model
visualisation"; Erhan et al. 2009). Each step first shifts the image by a random offset of at
most `jitter` pixels (a circular roll), so that the ascent cannot rely on exact pixel positions
and settles on shapes rather than high-frequency noise (Yosinski et al. 2015, Sec. 3; Mordvintsev
et al. 2015). Deliberate departure: the steps are taken by Adam instead of plain gradient ascent,
so that one learning rate suits any network's score scale. Images live in the network's input
space (normalised pixels for the CIFAR nets).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor, nn


def activation_maximisation(objective: Callable[[Tensor], Tensor], x: Tensor, *,
                            steps: int = 200, lr: float = 0.05, l2: float = 1e-3,
                            jitter: int = 2, generator: torch.Generator | None = None) -> Tensor:
    """Ascend `objective` (a (B,) score per image of a (B, C, H, W) batch) from the images `x`.

    Every image is optimised on its own score: the objective must not mix images (a network in
    eval mode does not). Returns the final images, detached; `x` is left unchanged.
    """
    if x.ndim != 4:
        raise ValueError(f"x must have shape (B, C, H, W), got {tuple(x.shape)}")
    if steps < 0 or lr <= 0 or l2 < 0 or jitter < 0:
        raise ValueError(f"need steps >= 0, lr > 0, l2 >= 0 and jitter >= 0, got steps={steps}, "
                         f"lr={lr}, l2={l2}, jitter={jitter}")
    x = x.detach().clone().requires_grad_(True)
    optimiser = torch.optim.Adam([x], lr=lr)
    for _ in range(steps):
        dy, dx = (torch.randint(-jitter, jitter + 1, (2,), generator=generator).tolist()
                  if jitter else (0, 0))
        score = objective(torch.roll(x, shifts=(dy, dx), dims=(2, 3)))
        if score.shape != x.shape[:1]:
            raise ValueError(f"objective must give one score per image, shape ({len(x)},), "
                             f"got {tuple(score.shape)}")
        penalty = l2 * x.pow(2).sum((1, 2, 3))  # (B,)
        optimiser.zero_grad(set_to_none=True)
        (penalty - score).sum().backward()
        optimiser.step()
    return x.detach()


SCORES = ("logit", "log_prob", "log_odds")


def class_score(logits: Tensor, target: Tensor, score: str) -> Tensor:
    """Each row's `score` of its target class, from (B, num_classes) logits: (B,)."""
    own = logits.gather(1, target[:, None]).squeeze(1)
    if score == "logit":
        return own
    if score == "log_prob":
        return own - logits.logsumexp(1)
    others = logits.scatter(1, target[:, None], float("-inf"))
    return own - others.logsumexp(1)


def class_model(model: nn.Module, classes: Sequence[int], *, input_shape: Sequence[int],
                score: str = "logit", steps: int = 200, lr: float = 0.05, l2: float = 1e-3,
                jitter: int = 2, noise_std: float = 0.1, seed: int = 0) -> Tensor:
    """One image per class in `classes` that maximises the model's class score, from Gaussian
    noise of std `noise_std`: (K, *input_shape). `score` is "logit", Simonyan et al.'s
    unnormalised class score; "log_prob", its log-softmax; or "log_odds", log(p / (1 - p)) of
    the class probability p, i.e. the logit minus the log-sum-exp of the other logits. The last
    two rise only when the class gains on the others, and log-odds keeps a gradient as p -> 1.

    The model is put in eval mode (batch norm then treats each image on its own) and its
    parameters receive no gradient."""
    if score not in SCORES:
        raise ValueError(f"score must be one of {', '.join(SCORES)}, got {score!r}")
    if len(input_shape) != 3:
        raise ValueError(f"input_shape must be (C, H, W), got {tuple(input_shape)}")
    gen = torch.Generator().manual_seed(seed)
    device = next(model.parameters()).device
    target = torch.as_tensor(list(classes), dtype=torch.int64, device=device)
    model.eval()
    frozen = [p for p in model.parameters() if p.requires_grad]
    for p in frozen:
        p.requires_grad_(False)
    try:
        noise = noise_std * torch.randn(len(target), *input_shape, generator=gen)

        def objective(x: Tensor) -> Tensor:
            return class_score(model(x), target, score)

        return activation_maximisation(objective, noise.to(device), steps=steps, lr=lr, l2=l2,
                                       jitter=jitter, generator=gen)
    finally:
        for p in frozen:
            p.requires_grad_(True)
