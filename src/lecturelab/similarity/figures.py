"""Figures of embeddings: a t-SNE map by class, a retrieval grid, active-triplet curves."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import Tensor

from lecturelab.similarity.retrieval import nearest_indices


def tsne_figure(z: Tensor, y: Tensor, classes: Sequence[str], *, seed: int = 0,
                title: str = "t-SNE of embeddings") -> Figure:
    """A 2-D t-SNE map (scikit-learn, van der Maaten & Hinton 2008) coloured by class."""
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        xy = TSNE(perplexity=min(30.0, (len(z) - 1) / 3), init="pca", random_state=seed,
                  max_iter=500).fit_transform(z.double().numpy())
    fig = Figure(figsize=(5.5, 4.8))
    ax = fig.subplots()
    points = ax.scatter(xy[:, 0], xy[:, 1], c=y.numpy(), cmap="tab10", s=8,
                        vmin=0, vmax=max(9, len(classes) - 1))
    handles, _ = points.legend_elements()
    ax.legend(handles, classes[:len(handles)], fontsize=6, loc="best")
    ax.set(title=title, xticks=[], yticks=[])
    return fig


def retrieval_grid(z: Tensor, y: Tensor, images: Tensor, *, queries: int = 6, k: int = 5,
                   seed: int = 0) -> Figure:
    """Random queries (left column) and their k nearest held-out neighbours, each neighbour
    framed green when of the query's class and red when not."""
    gen = torch.Generator().manual_seed(seed)
    chosen = torch.randperm(len(z), generator=gen)[:queries]
    neighbours = nearest_indices(z, k)[chosen]  # (queries, k)
    fig = Figure(figsize=(1.3 * (k + 1), 1.3 * queries))
    axes = np.asarray(fig.subplots(queries, k + 1, squeeze=False))
    for row, (q, found) in enumerate(zip(chosen.tolist(), neighbours.tolist(), strict=True)):
        for col, idx in enumerate([q, *found]):
            ax = axes[row, col]
            ax.imshow(images[idx].permute(1, 2, 0).clamp(0, 1).numpy().squeeze(),
                      cmap="gray", interpolation="nearest")
            ax.set(xticks=[], yticks=[])
            colour = "black" if col == 0 else ("green" if y[idx] == y[q] else "red")
            for spine in ax.spines.values():
                spine.set(color=colour, linewidth=3)
    axes[0, 0].set_title("query", fontsize=8)
    fig.suptitle("nearest held-out neighbours (green: same class)", fontsize=9)
    return fig


def active_fraction_figure(curves: dict[str, list[list[float]]], *, title: str,
                           window: tuple[int, int] | None = None, smooth: int = 10) -> Figure:
    """Fraction of active (non-zero-loss) triplets per step for each miner: the mean over
    seeds, smoothed by a running mean of `smooth` steps; `window` shaded."""
    fig = Figure(figsize=(6, 3.8))
    ax = fig.subplots()
    for name, runs in curves.items():
        mean = np.nanmean(np.asarray(runs, dtype=float), axis=0)
        kernel = np.ones(min(smooth, len(mean))) / min(smooth, len(mean))
        ax.plot(np.convolve(mean, kernel, mode="valid"), label=name)
    if window is not None:
        ax.axvspan(*window, color="0.9", label="measured window")
    ax.set(xlabel="step", ylabel="fraction of triplets with non-zero loss", ylim=(0, 1.02),
           title=title)
    ax.legend(fontsize=8)
    return fig
