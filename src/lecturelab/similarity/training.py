"""Training an embedding with a pair or triplet loss, recording how many triplets are active.

One loop for the lecture's two families: the contrastive loss over every pair of a batch
(Hadsell et al. 2006) and the triplet loss over the triplets a miner picks (random, semi-hard,
batch-hard, batch-all). Batches are drawn uniformly from the training set (no class-balanced
P x K sampler). At every step the loop records the fraction of the training triplets with
non-zero loss, and the same fraction for random and batch-hard triplets of the same batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from lecturelab.runtime import computed_once
from lecturelab.similarity.distances import pairwise_distances
from lecturelab.similarity.encoders import EmbeddingNet, build_encoder, embed
from lecturelab.similarity.images import ImageSubset, load_subset, normalise
from lecturelab.similarity.losses import contrastive_loss, reduce, triplet_margins
from lecturelab.similarity.miners import MINERS, active_fraction, mine
from lecturelab.similarity.retrieval import retrieval_metrics


@dataclass(frozen=True)
class EmbeddingRecipe:
    """How one embedding is trained (the experiments' configs hold these)."""

    loss: str = "triplet"  # "contrastive" (every pair) or "triplet" (the miner's triplets)
    miner: str = "semi_hard"  # triplet miner: random, semi_hard, batch_hard or batch_all
    margin: float = 1.0  # contrastive: negative margin m; triplet: margin alpha
    normalize: bool = False  # distances on the unit sphere (True) or raw embeddings
    power: int = 2  # contrastive hinge power: 2 is Hadsell et al.'s squared form, 1 PML's
    pair_reduction: str = "mean"  # contrastive: "mean" or "nonzero" (PML's default) per kind
    steps: int = 400  # optimiser steps
    batch_size: int = 128  # images a step, drawn uniformly
    lr: float = 1e-3  # Adam learning rate
    dim: int = 64  # embedding dimension
    widths: tuple[int, ...] = (16, 32, 64)  # ConvEncoder stage widths


@dataclass
class EmbeddingRun:
    """A trained embedding net and its per-step history."""

    model: EmbeddingNet
    loss: list[float] = field(default_factory=list)
    active: dict[str, list[float]] = field(default_factory=dict)  # miner -> fraction per step


def check_recipe(recipe: EmbeddingRecipe) -> None:
    if recipe.loss not in ("contrastive", "triplet"):
        raise ValueError(f"loss must be 'contrastive' or 'triplet', got {recipe.loss!r}")
    if recipe.miner not in MINERS:
        raise ValueError(f"unknown miner {recipe.miner!r}; expected one of {', '.join(MINERS)}")
    if recipe.steps < 0 or recipe.batch_size < 2:
        raise ValueError(f"steps must be >= 0 and batch_size >= 2, got {recipe.steps} and "
                         f"{recipe.batch_size}")


def train_embedding(x: Tensor, y: Tensor, recipe: EmbeddingRecipe, *, seed: int = 0,
                    on_step: Callable[[int, EmbeddingRun], None] | None = None
                    ) -> EmbeddingRun:
    """Train an `EmbeddingNet` on float images `x` (N, C, H, W) with labels `y`;
    `on_step(step, run)` is called after every step (progress bars, evaluation)."""
    check_recipe(recipe)
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    model = EmbeddingNet(build_encoder(in_chans=x.shape[1], widths=recipe.widths),
                         recipe.dim).to(x.device, memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=recipe.lr)
    run = EmbeddingRun(model, active={"train": [], "random": [], "batch_hard": []})
    for step in range(recipe.steps):
        idx = torch.randint(0, len(x), (recipe.batch_size,), generator=gen).to(x.device)
        xb = x[idx].contiguous(memory_format=torch.channels_last)  # faster convs on a CPU
        loss = embedding_step(run, xb, y[idx], recipe, gen)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        run.loss.append(loss.item())
        if on_step is not None:
            on_step(step, run)
    return run


def embedding_step(run: EmbeddingRun, xb: Tensor, yb: Tensor, recipe: EmbeddingRecipe,
                   gen: torch.Generator) -> Tensor:
    """The loss of one batch; appends the batch's active-triplet fractions to `run.active`."""
    z = run.model(xb)  # (B, dim)
    dist = pairwise_distances(z, normalize=recipe.normalize)
    with torch.no_grad():
        d = dist.detach()
        for name in ("random", "batch_hard"):
            triplets = mine(name, d, yb, margin=recipe.margin, generator=gen)
            run.active[name].append(active_fraction(d, triplets, recipe.margin))
    if recipe.loss == "contrastive":
        run.active["train"].append(float("nan"))
        return contrastive_loss(z, yb, margin=recipe.margin, normalize=recipe.normalize,
                                power=recipe.power, reduction=recipe.pair_reduction)
    triplets = mine(recipe.miner, dist.detach(), yb, margin=recipe.margin, generator=gen)
    losses = triplet_margins(dist, triplets, recipe.margin)
    run.active["train"].append(float((losses > 0).float().mean()) if losses.numel()
                               else float("nan"))
    return reduce(losses, "nonzero", z)


def evaluate_retrieval(model: EmbeddingNet, x: Tensor, y: Tensor, *, normalize: bool = False
                ) -> dict[str, float]:
    """Leave-one-out retrieval metrics of the model's embeddings of a held-out set."""
    return retrieval_metrics(embed(model, x), y, normalize=normalize)


@computed_once
def trained_embedding(images: ImageSubset, recipe: EmbeddingRecipe, seed: int = 0,
                      device: str | torch.device = "cpu"
                      ) -> tuple[EmbeddingRun, dict[str, float]]:
    """An embedding trained on `images` (normalised by the dataset's statistics) and its
    held-out retrieval metrics; trained once per process for each argument set, so the
    experiments of one run share it."""
    x_train, y_train, x_test, y_test, data = load_subset(images)
    x_train = normalise(x_train, data.mean, data.std).to(device)
    x_test = normalise(x_test, data.mean, data.std).to(device)
    run = train_embedding(x_train, y_train.to(device), recipe, seed=seed)
    return run, evaluate_retrieval(run.model, x_test, y_test.to(device),
                                   normalize=recipe.normalize)
