"""l4.contrastive_vs_triplet - the contrastive loss's margin is hard to choose; the triplet loss
asks only for relative distances (lecture 4, "beyond strong supervision").

Follows Hadsell, Chopra & LeCun (2006, eq. 4) for the contrastive loss (squared hinges over
every pair of the batch; positive and negative pairs each averaged, then summed) and Schroff et
al. (2015, FaceNet) for the triplet loss with semi-hard mining (non-zero terms averaged).
Unnormalised embeddings, equal steps, the same net and batches; Recall@1 leave-one-out on
held-out images. Departures: a 16-px CIFAR-10 subset and a 16-32-64 CNN in quick (on digits
every setting saturates). pytorch-metric-learning's contrastive convention (plain hinges,
non-zero terms averaged) is `EmbeddingRecipe(power=1, pair_reduction="nonzero")`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from matplotlib.figure import Figure

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.similarity.encoders import EmbeddingNet, embed
from lecturelab.similarity.figures import retrieval_grid, tsne_figure
from lecturelab.similarity.images import ImageSubset, load_subset, normalise
from lecturelab.similarity.training import EmbeddingRecipe, trained_embedding


@dataclass(frozen=True)
class ContrastiveVsTripletConfig:
    images: ImageSubset = ImageSubset()  # cifar10, 10,000 train / 2,000 held-out, 16 px
    margins: tuple[float, ...] = (0.1, 0.5, 1.0, 2.0, 5.0)  # contrastive margins m (ledger)
    triplet: EmbeddingRecipe = EmbeddingRecipe(loss="triplet", miner="semi_hard", margin=1.0,
                                               steps=250)  # the triplet run; others copy it
    min_spread: float = 0.10  # Recall@1 spread across margins the ledger asks for
    tsne_points: int = 250  # held-out embeddings in the t-SNE figure


QUICK = ContrastiveVsTripletConfig()
FULL = ContrastiveVsTripletConfig(
    images=ImageSubset(n_train=50_000, n_test=10_000, size=None),
    triplet=EmbeddingRecipe(steps=5000, widths=(64, 128, 256)), tsne_points=1000)
SMOKE = ContrastiveVsTripletConfig(
    images=ImageSubset(n_train=200, n_test=100, size=8),
    triplet=EmbeddingRecipe(steps=2, batch_size=32, widths=(8, 16)), tsne_points=60)


@experiment(
    "l4.contrastive_vs_triplet", lecture=4, shares=("embeddings",),
    claim="contrastive loss: margin m is hard to choose; triplet loss: relative distances are "
          "more meaningful",
    criterion="embeddings of a cifar10 subset (16 px allowed in quick; on digits every setting "
              "saturates near 98%), unnormalised embeddings, equal steps: contrastive Recall@1 "
              "varies by at least 10 points across margins {0.1, 0.5, 1, 2, 5}; triplet loss "
              "with semi-hard (or batch-hard) mining reaches Recall@1 at least the best "
              "contrastive",
    quick=QUICK, full=FULL, smoke=SMOKE)
def contrastive_vs_triplet(cfg: ContrastiveVsTripletConfig, run: Run) -> Result:
    recall = {}
    for m in cfg.margins:
        recipe = replace(cfg.triplet, loss="contrastive", margin=m)
        recall[f"contrastive m={m:g}"] = trained_embedding(cfg.images, recipe, run.seed,
                                                           run.device)[1]["recall_at_1"]
    triplet_run, triplet_metrics = trained_embedding(cfg.images, cfg.triplet, run.seed,
                                                     run.device)
    contrastive = list(recall.values())
    best = max(contrastive)
    spread = best - min(contrastive)
    triplet = triplet_metrics["recall_at_1"]
    run.log("; ".join(f"{k}: {v:.4f}" for k, v in recall.items()) + f"; triplet {triplet:.4f}")
    metrics = {**{f"recall_at_1_{k.replace(' ', '_')}": v for k, v in recall.items()},
               "recall_at_1_triplet": triplet, "map_at_r_triplet": triplet_metrics["map_at_r"],
               "contrastive_spread": spread, "triplet_minus_best_contrastive": triplet - best}
    return Result(
        metrics=metrics,
        checks=[
            Check.at_least("contrastive Recall@1 spread across margins", spread, cfg.min_spread,
                           detail=", ".join(f"{v:.3f}" for v in contrastive)),
            Check.at_least("triplet (semi-hard) Recall@1 minus the best contrastive",
                           triplet - best, 0.0, detail=f"{triplet:.4f} vs {best:.4f}"),
        ],
        figures=figures(cfg, run, triplet_run.model, recall, triplet),
        headline=("contrastive_spread", "recall_at_1_triplet", "triplet_minus_best_contrastive"),
        notes=[f"{cfg.triplet.steps} Adam steps of {cfg.triplet.batch_size} images for every "
               f"run; triplet margin {cfg.triplet.margin:g}, miner {cfg.triplet.miner}"],
    )


def figures(cfg: ContrastiveVsTripletConfig, run: Run, model: EmbeddingNet,
            recall: dict[str, float], triplet: float) -> dict[str, Figure]:
    _, _, x_test, y_test, data = load_subset(cfg.images)
    z = embed(model, normalise(x_test, data.mean, data.std).to(run.device)).cpu()
    n = min(cfg.tsne_points, len(z))
    return {"recall_per_margin": recall_figure(recall, triplet),
            "tsne_triplet": tsne_figure(z[:n], y_test[:n], data.classes, seed=run.seed,
                                        title="t-SNE of held-out triplet embeddings"),
            "retrieval_grid": retrieval_grid(z, y_test, x_test, seed=run.seed)}


def recall_figure(recall: dict[str, float], triplet: float) -> Figure:
    fig = Figure(figsize=(6, 3.8))
    ax = fig.subplots()
    names = [*recall, "triplet, semi-hard"]
    ax.bar(names, [*recall.values(), triplet], color=["#8aa9d6"] * len(recall) + ["#d98c5f"])
    ax.set(ylabel="held-out Recall@1", title="equal steps, unnormalised embeddings")
    ax.tick_params(axis="x", rotation=30)
    fig.tight_layout()
    return fig

