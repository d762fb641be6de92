"""l1.protein_image - folding mapped onto an image (lecture 1, "Folding proteins with AlphaFold").

Senior et al. (2020), "Improved protein structure prediction using potentials from deep
learning" (AlphaFold 1): a deep dilated 2-D ResNet reads co-variation features of a multiple
sequence alignment as an L x L image and predicts a distogram (64 bins, 2-22 A) per residue
pair; a smooth potential built from it is minimised by gradient descent to fold the chain.
Departures: synthetic C-alpha chains of 48-64 residues stand in for proteins, their alignments
are sampled from a Potts model with weak couplings on 80% of the contacts (`protein.msa`),
C-alpha replaces C-beta in contacts, folding is over coordinates (not torsions) from an MDS
start with a bond term in place of the backbone geometry, and the network is 8 blocks of 32
channels (the paper: 220 blocks).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.protein.chains import random_coil
from lecturelab.protein.dataset import FamilyConfig, ProteinExample, make_examples
from lecturelab.protein.distogram import (
    contact_probability,
    expected_distance,
    top_contact_precision,
)
from lecturelab.protein.folding import FoldConfig, fold
from lecturelab.protein.structure import kabsch, lddt, rmsd, tm_score, tm_score_either_hand
from lecturelab.protein.training import TrainConfig, predict_distogram, train_distogram


@dataclass(frozen=True)
class ProteinImageConfig:
    family: FamilyConfig = field(default_factory=FamilyConfig)  # chains and alignments
    train_chains: int = 200  # chains the network is trained on
    test_chains: int = 20  # held-out chains: contact precision and folds, paired
    train: TrainConfig = field(default_factory=TrainConfig)  # network and Adam schedule
    fold: FoldConfig = field(default_factory=lambda: FoldConfig(iterations=60))  # L-BFGS


QUICK = ProteinImageConfig(fold=FoldConfig(iterations=60, record_every=30))
FULL = ProteinImageConfig(train_chains=3000, test_chains=100,
                          train=TrainConfig(channels=64, blocks=32, steps=20000, batch=32,
                                            crop=48, lr=1e-3),
                          fold=FoldConfig(iterations=400))
SMOKE = ProteinImageConfig(family=FamilyConfig(min_length=28, max_length=30, depth=40, sweeps=2),
                           train_chains=4, test_chains=2,
                           train=TrainConfig(channels=8, blocks=2, steps=3, batch=4, crop=16),
                           fold=FoldConfig(iterations=10, record_every=5))


@dataclass
class HeldOut:
    """What one held-out chain gave."""

    net_precision: float
    stat_precision: float
    fold_tm: float
    coil_tm: float
    fold_rmsd: float
    fold_lddt: float
    tm_path: list[float]  # TM-score (either hand) every record_every folding iterations
    probs: np.ndarray  # (64, L, L) the predicted distogram
    fold: np.ndarray  # (L, 3) the final fold, in the hand that scores better


@experiment(
    "l1.protein_image", lecture=1, claim="folding mapped onto an image (AlphaFold)",
    criterion="on synthetic protein-like chains whose structure is encoded in co-variation "
              "features (couplings weak enough that the co-variation statistic alone is not "
              "already a good contact predictor), a dilated 2-D ResNet predicting 64-bin "
              "distograms (2-22 A) reaches top-L/5 long-range contact precision of at least 0.5 "
              "on held-out chains and at least 0.1 above the APC-corrected co-variation "
              "statistic alone; folding by gradient descent on the distogram-derived potential "
              "gives folds whose TM-score (best superposition; the better of the fold and its "
              "mirror image, since distances do not fix handedness) exceeds a random coil's by "
              "at least 0.05, paired over at least 10 held-out chains (random coil: at most "
              "0.3); *full*: folds at TM-score at least 0.5",
    quick=QUICK, full=FULL, smoke=SMOKE)
def protein_image(cfg: ProteinImageConfig, run: Run) -> Result:
    train = make_examples(cfg.train_chains, run.seed, cfg.family)
    test = make_examples(cfg.test_chains, run.seed + 10_000, cfg.family)
    net = train_distogram(train, cfg.train, seed=run.seed, device=run.device)
    rng = np.random.default_rng(run.seed + 20_000)
    held = [evaluate(net, ex, cfg.fold, rng) for ex in test]
    net_p = np.array([h.net_precision for h in held])
    stat_p = np.array([h.stat_precision for h in held])
    fold_tm = np.array([h.fold_tm for h in held])
    coil_tm = np.array([h.coil_tm for h in held])
    gain = fold_tm - coil_tm
    run.log(f"precision net {net_p.mean():.3f} stat {stat_p.mean():.3f}; TM fold "
            f"{fold_tm.mean():.3f} coil {coil_tm.mean():.3f}")
    checks = [
        Check.at_least("top-L/5 long-range contact precision of the network (held-out mean)",
                       net_p.mean(), 0.5, detail=f"{len(held)} chains"),
        Check.at_least("network precision minus the APC-corrected statistic's",
                       net_p.mean() - stat_p.mean(), 0.1,
                       detail=f"statistic alone {stat_p.mean():.3f}"),
        Check.at_least("fold TM-score minus random coil's (paired mean, either hand)",
                       gain.mean(), 0.05, detail=f"fold {fold_tm.mean():.3f}, coil "
                       f"{coil_tm.mean():.3f}, {len(held)} chains"),
        Check.at_most("random coil's TM-score (mean)", coil_tm.mean(), 0.3),
    ]
    if run.profile == "full":
        checks.append(Check.at_least("mean fold TM-score (full)", fold_tm.mean(), 0.5))
    middle = int(np.argmin(np.abs(fold_tm - np.median(fold_tm))))  # the chain to draw
    return Result(
        metrics={"net_precision": net_p.mean(), "net_precision_std": net_p.std(),
                 "stat_precision": stat_p.mean(), "stat_precision_std": stat_p.std(),
                 "fold_tm": fold_tm.mean(), "fold_tm_std": fold_tm.std(),
                 "coil_tm": coil_tm.mean(), "coil_tm_max": coil_tm.max(),
                 "tm_gain": gain.mean(), "tm_gain_std": gain.std(),
                 "fold_rmsd": float(np.mean([h.fold_rmsd for h in held])),
                 "fold_lddt": float(np.mean([h.fold_lddt for h in held]))},
        checks=checks,
        notes=[f"{cfg.train_chains} training and {cfg.test_chains} held-out chains of "
               f"{cfg.family.min_length}-{cfg.family.max_length} residues; couplings "
               f"{cfg.family.strength} on {cfg.family.fraction:.0%} of contacts, "
               f"{cfg.family.depth} sequences; {cfg.train.steps} Adam steps"],
        figures={"distance_maps": maps_figure(held[middle], test[middle]),
                 "folded_chain": chain_figure(held[middle], test[middle]),
                 "tm_over_folding": tm_path_figure(held, cfg.fold.record_every)},
        headline=("net_precision", "stat_precision", "fold_tm", "coil_tm"),
    )


def evaluate(net: torch.nn.Module, ex: ProteinExample, fold_cfg: FoldConfig,
             rng: np.random.Generator) -> HeldOut:
    probs = predict_distogram(net, ex)
    true = ex.chain.coords
    path = fold(probs, fold_cfg)
    final, fold_tm = better_hand(path[-1], true)
    return HeldOut(
        net_precision=top_contact_precision(contact_probability(probs), ex.distances),
        stat_precision=top_contact_precision(ex.statistic, ex.distances),
        fold_tm=fold_tm, coil_tm=tm_score_either_hand(random_coil(len(true), rng), true),
        fold_rmsd=rmsd(final, true), fold_lddt=lddt(final, true),
        tm_path=[*(tm_score_either_hand(x, true) for x in path[:-1]), fold_tm], probs=probs,
        fold=final)


def better_hand(model: np.ndarray, reference: np.ndarray) -> tuple[np.ndarray, float]:
    """The model or its mirror image, whichever has the higher TM-score, and that score."""
    mirror = model * np.array([1.0, 1.0, -1.0])
    tm, tm_mirror = tm_score(model, reference), tm_score(mirror, reference)
    return (mirror, tm_mirror) if tm_mirror > tm else (model, tm)


def maps_figure(held: HeldOut, ex: ProteinExample) -> Figure:
    """The lecture's image: true distances, predicted (expected) distances, contact probability
    and the co-variation statistic, side by side."""
    predicted = expected_distance(held.probs)
    np.fill_diagonal(predicted, 0.0)  # the diagonal is not trained on
    fig = Figure(figsize=(14, 3.6), layout="constrained")
    panels = [(ex.distances, "true C-alpha distances (A)", "viridis_r", (0, 22)),
              (predicted, "predicted distances (A)", "viridis_r", (0, 22)),
              (contact_probability(held.probs), "predicted P(contact)", "Greys", (0, 1)),
              (ex.statistic, "co-variation statistic (APC MI)", "Greys", (None, None))]
    for ax, (image, title, cmap, (lo, hi)) in zip(fig.subplots(1, 4), panels, strict=True):
        shown = ax.imshow(image, cmap=cmap, vmin=lo, vmax=hi)
        ax.set_title(title, fontsize=9)
        fig.colorbar(shown, ax=ax, fraction=0.046)
    return fig


def chain_figure(held: HeldOut, ex: ProteinExample) -> Figure:
    """The folded chain superposed (least squares) over the true one, in 3-D."""
    true, folded = ex.chain.coords, held.fold
    rotation, translation = kabsch(folded, true)
    moved = folded @ rotation.T + translation
    fig = Figure(figsize=(5.5, 5))
    ax = fig.add_subplot(projection="3d")
    ax.plot(*true.T, "-o", ms=2, color="0.3", label="true chain")
    ax.plot(*moved.T, "-o", ms=2, color="tab:red",
            label=f"folded (TM {tm_score(folded, true):.2f})")
    ax.legend(loc="upper left")
    return fig


def tm_path_figure(held: list[HeldOut], every: int) -> Figure:
    fig = Figure(figsize=(5.5, 3.8))
    ax = fig.subplots()
    paths = np.array([h.tm_path for h in held])  # (chains, records)
    steps = np.arange(paths.shape[1]) * every
    for p in paths:
        ax.plot(steps, p, color="tab:blue", alpha=0.2, lw=0.8)
    ax.plot(steps, paths.mean(axis=0), color="tab:blue", lw=2, label="mean over chains")
    ax.axhline(np.mean([h.coil_tm for h in held]), color="k", ls="--", label="random coil")
    ax.set(xlabel="L-BFGS iterations (0: MDS start)", ylabel="TM-score (either hand)")
    ax.legend()
    return fig
