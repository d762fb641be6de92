"""l4.hard_negative_mining - triplets need hard negative mining to be informative (lecture 4).

Random triplets soon satisfy the margin and give zero loss; mined ones keep the loss alive.
Follows Schroff et al. (2015, FaceNet, Sec. 3.2) for semi-hard negatives and Hermans, Beyer &
Leibe (2017) for batch-hard triplets; the active fraction is the share of a step's training
triplets with non-zero loss (the unit the miner picks: one triplet per anchor for random and
batch-hard, one per anchor-positive pair for semi-hard). (a) runs on scikit-learn's 8x8 digits,
(b) on a 16-px CIFAR-10 subset (quick) with the same recipe as l4.contrastive_vs_triplet.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.similarity.figures import active_fraction_figure
from lecturelab.similarity.images import ImageSubset
from lecturelab.similarity.training import EmbeddingRecipe, trained_embedding

DIGITS = ImageSubset(dataset="digits", n_train=None, n_test=None, size=None)  # all 1,797
MINED = ("batch_hard", "semi_hard")  # the criterion's "batch-hard or semi-hard"


@dataclass(frozen=True)
class HardNegativeMiningConfig:
    digits: ImageSubset = DIGITS  # part (a): scikit-learn's digits
    digits_recipe: EmbeddingRecipe = EmbeddingRecipe(steps=300)  # (a): one run per miner
    window: tuple[int, int] = (60, 150)  # (a): steps over which active fractions are averaged
    images: ImageSubset = ImageSubset()  # part (b): cifar10, 10,000 / 2,000, 16 px
    recipe: EmbeddingRecipe = EmbeddingRecipe(steps=250)  # (b): as l4.contrastive_vs_triplet
    mined: str = "semi_hard"  # (b): the miner compared with random triplets
    seeds: int = 3  # (b): seeds per miner (ledger)
    max_random_active: float = 0.10  # (a): the ledger's bound for random triplets
    min_mined_active: float = 0.20  # (a): the ledger's bound for mined triplets
    min_gain: float = 0.05  # (b): Recall@1 gain of mining the ledger asks for


QUICK = HardNegativeMiningConfig()
FULL = HardNegativeMiningConfig(
    images=ImageSubset(n_train=50_000, n_test=10_000, size=None),
    recipe=EmbeddingRecipe(steps=5000, widths=(64, 128, 256)))
SMOKE = HardNegativeMiningConfig(
    digits_recipe=EmbeddingRecipe(steps=6, batch_size=32, widths=(8,)), window=(2, 5),
    images=ImageSubset(n_train=200, n_test=100, size=8),
    recipe=EmbeddingRecipe(steps=2, batch_size=32, widths=(8, 16)), seeds=1)


@experiment(
    "l4.hard_negative_mining", lecture=4, shares=("embeddings",),
    claim="triplets need hard negative mining to be informative",
    criterion="(a) on digits, after warm-up (steps 60-150 of 300), at most 10% of random "
              "triplets have non-zero loss while at least 20% of batch-hard or semi-hard mined "
              "triplets do; (b) on a cifar10 subset (16 px allowed in quick), at equal steps, "
              "mined triplets give Recall@1 at least 5 points above random triplets (mean over "
              "3 seeds); the active fractions over training drawn for both",
    quick=QUICK, full=FULL, smoke=SMOKE)
def hard_negative_mining(cfg: HardNegativeMiningConfig, run: Run) -> Result:
    lo, hi = cfg.window
    digits_curves, window_active = {}, {}
    for miner in ("random", *MINED):
        trained, _ = trained_embedding(cfg.digits, replace(cfg.digits_recipe, miner=miner),
                                       run.seed, run.device)
        digits_curves[miner] = [trained.active["train"]]
        window_active[miner] = float(np.nanmean(trained.active["train"][lo:hi]))
    best_mined = max(MINED, key=lambda m: window_active[m])
    recall, cifar_curves = {}, {}
    for miner in ("random", cfg.mined):
        recipe = replace(cfg.recipe, miner=miner)
        runs = [trained_embedding(cfg.images, recipe, run.seed + i, run.device)
                for i in range(cfg.seeds)]
        recall[miner] = [metrics["recall_at_1"] for _, metrics in runs]
        cifar_curves[miner] = [trained.active["train"] for trained, _ in runs]
    gain = float(np.mean(recall[cfg.mined]) - np.mean(recall["random"]))
    run.log(f"digits active fractions (steps {lo}-{hi}): {window_active}; cifar Recall@1 {recall}")
    metrics = {**{f"digits_active_{m}": v for m, v in window_active.items()},
               **{f"recall_at_1_{m}_mean": float(np.mean(v)) for m, v in recall.items()},
               **{f"recall_at_1_{m}_std": float(np.std(v)) for m, v in recall.items()},
               "recall_at_1_gain": gain}
    return Result(
        metrics=metrics,
        checks=[
            Check.at_most(f"(a) active random triplets, digits steps {lo}-{hi}",
                          window_active["random"], cfg.max_random_active),
            Check.at_least(f"(a) active mined triplets ({best_mined}), digits steps {lo}-{hi}",
                           window_active[best_mined], cfg.min_mined_active,
                           detail=", ".join(f"{m} {window_active[m]:.3f}" for m in MINED)),
            Check.at_least(f"(b) Recall@1 of {cfg.mined} minus random triplets, mean of seeds",
                           gain, cfg.min_gain,
                           detail=", ".join(f"{m} {np.mean(v):.4f}+-{np.std(v):.4f}"
                                            for m, v in recall.items())),
        ],
        figures={
            "active_fraction_digits": active_fraction_figure(
                digits_curves, title="digits: active triplets per miner", window=cfg.window),
            "active_fraction_cifar10": active_fraction_figure(
                cifar_curves, title=f"CIFAR-10 subset: active triplets (mean of {cfg.seeds} "
                                    "seeds)"),
        },
        headline=("digits_active_random", f"digits_active_{best_mined}", "recall_at_1_gain"),
        notes=[f"(b): {cfg.seeds} seeds per miner, {cfg.recipe.steps} steps of "
               f"{cfg.recipe.batch_size} images, margin {cfg.recipe.margin:g}"],
    )
