"""l4.self_supervised - same data, different augmentations: SimCLR learns features that a linear
probe can use (lecture 4, "beyond strong supervision").

Follows Chen et al. (2020), "A simple framework for contrastive learning of visual
representations" (SimCLR): two augmented views per image, NT-Xent, a projection head; the frozen
encoder is judged by a linear probe (Sec. 2.3) and its augmentation ablation (Sec. 3, Fig. 5:
crop and colour matter most). Departures for a CPU: 16-px CIFAR-10 subset and a small CNN in
quick, Adam instead of LARS, batch 256; the probe is scikit-learn's logistic regression on
standardised features. The random encoder is the SimCLR model's own initialisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import torch
from matplotlib.figure import Figure

from lecturelab.data import ClassificationData
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.similarity.augment import SimCLRAugment
from lecturelab.similarity.images import ImageSubset, load_subset, normalise
from lecturelab.similarity.simclr import (
    SimCLRRecipe,
    accuracy,
    build_simclr,
    pretrain_simclr,
    probe_encoder,
    train_supervised,
)

AUGMENTATIONS = {"SimCLR": SimCLRAugment(), "no crop": SimCLRAugment(crop=False),
                 "no colour": SimCLRAugment(colour=False)}


@dataclass(frozen=True)
class SelfSupervisedConfig:
    images: ImageSubset = ImageSubset(n_train=5000, n_test=1000, size=16)  # pre-train + probe
    recipe: SimCLRRecipe = field(default_factory=lambda: SimCLRRecipe(
        steps=300, batch_size=256, widths=(16, 32, 64)))  # one pre-training run (each ablation)
    min_gain: float = 0.08  # SimCLR probe minus random-encoder probe the ledger asks for
    min_drop: float = 0.03  # probe drop without crop / without colour the ledger asks for
    supervised: bool = False  # full: also train the encoder with labels at equal steps


QUICK = SelfSupervisedConfig()
FULL = SelfSupervisedConfig(
    images=ImageSubset(n_train=50_000, n_test=10_000, size=None),
    recipe=SimCLRRecipe(steps=20_000, batch_size=512, encoder="resnet18", lr=1e-3),
    min_gain=0.15, supervised=True)
SMOKE = SelfSupervisedConfig(images=ImageSubset(n_train=200, n_test=100, size=8),
                             recipe=SimCLRRecipe(steps=2, batch_size=32, widths=(8, 16)))


@experiment(
    "l4.self_supervised", lecture=4,
    claim="same data, different augmentations; comparable to supervised",
    criterion="SimCLR pre-training then a linear probe on a cifar10 subset (16 px allowed in "
              "quick): at least 8 points above the same probe on the randomly initialised "
              "encoder; dropping the crop or the colour augmentation (same steps) lowers the "
              "probe by at least 3 points each; *full*: at 32 px, at least 15 points above the "
              "random encoder and at least 80% of supervised accuracy at equal budget",
    quick=QUICK, full=FULL, smoke=SMOKE)
def self_supervised(cfg: SelfSupervisedConfig, run: Run) -> Result:
    x_train, y_train, x_test, y_test, data = load_subset(cfg.images)
    x_train, x_test = x_train.to(run.device), x_test.to(run.device)
    y_train, y_test = y_train.to(run.device), y_test.to(run.device)
    probe_images = (normalise(x_train, data.mean, data.std), y_train,
                    normalise(x_test, data.mean, data.std), y_test)
    torch.manual_seed(run.seed)
    size = x_train.shape[-1]
    random_encoder = build_simclr(cfg.recipe, size).to(run.device).encoder
    scores = {"random encoder": probe_encoder(random_encoder, *probe_images)}
    losses = {}
    for name, augment in AUGMENTATIONS.items():
        torch.manual_seed(run.seed)  # every run starts from the random encoder's weights
        model = build_simclr(cfg.recipe, size).to(run.device, memory_format=torch.channels_last)
        losses[name] = pretrain_simclr(model, x_train, replace(cfg.recipe, augment=augment),
                                       mean=data.mean, std=data.std, seed=run.seed)
        scores[name] = probe_encoder(model.encoder, *probe_images)
        run.log(f"{name}: probe {scores[name]['probe_acc']:.4f} knn {scores[name]['knn_acc']:.4f}")
    probe = {k: v["probe_acc"] for k, v in scores.items()}
    gain = probe["SimCLR"] - probe["random encoder"]
    checks = [
        Check.at_least("SimCLR probe minus random-encoder probe", gain, cfg.min_gain,
                       detail=f"{probe['SimCLR']:.4f} vs {probe['random encoder']:.4f}"),
        Check.at_least("probe drop without the crop", probe["SimCLR"] - probe["no crop"],
                       cfg.min_drop, detail=f"no crop {probe['no crop']:.4f}"),
        Check.at_least("probe drop without colour", probe["SimCLR"] - probe["no colour"],
                       cfg.min_drop, detail=f"no colour {probe['no colour']:.4f}"),
    ]
    metrics = {f"{k.replace(' ', '_')}_{m}": v for k, s in scores.items() for m, v in s.items()}
    if cfg.supervised:
        supervised = supervised_accuracy(cfg, x_train, y_train, probe_images, data, run.seed)
        metrics["supervised_acc"] = supervised
        checks.append(Check.at_least("SimCLR probe / supervised accuracy",
                                     probe["SimCLR"] / supervised, 0.8))
    return Result(
        metrics={**metrics, "probe_gain": gain},
        checks=checks,
        figures={"probe_per_augmentation": probe_figure(scores, losses)},
        headline=("SimCLR_probe_acc", "random_encoder_probe_acc", "probe_gain"),
        notes=[f"{cfg.recipe.steps} SimCLR steps of {cfg.recipe.batch_size} images "
               f"({2 * cfg.recipe.batch_size} views), {len(x_train)} images at {size} px, "
               f"encoder {cfg.recipe.encoder}; probe trained on the same images, tested on "
               f"{len(x_test)} held-out ones"],
    )


def supervised_accuracy(cfg: SelfSupervisedConfig, x_train: torch.Tensor, y_train: torch.Tensor,
                        probe_images: tuple, data: ClassificationData, seed: int) -> float:
    """Test accuracy of the same encoder trained with labels for the same steps."""
    torch.manual_seed(seed)
    encoder = build_simclr(cfg.recipe, x_train.shape[-1]).encoder
    net = train_supervised(encoder.to(x_train.device), x_train, y_train, cfg.recipe,
                           mean=data.mean, std=data.std, num_classes=data.num_classes, seed=seed)
    return accuracy(net, probe_images[2], probe_images[3])


def probe_figure(scores: dict[str, dict[str, float]], losses: dict[str, list[float]]) -> Figure:
    """Linear-probe and k-NN accuracy per augmentation set; NT-Xent loss per step."""
    fig = Figure(figsize=(10, 4))
    ax_bar, ax_loss = fig.subplots(1, 2)
    names = list(scores)
    pos = torch.arange(len(names)).float()
    ax_bar.bar(pos - 0.2, [scores[n]["probe_acc"] for n in names], 0.4, label="linear probe")
    ax_bar.bar(pos + 0.2, [scores[n]["knn_acc"] for n in names], 0.4, label="k-NN (k=20)")
    ax_bar.set_xticks(pos.tolist(), names)
    ax_bar.set(ylabel="test accuracy", title="frozen encoder, per augmentation set")
    ax_bar.legend()
    for name, curve in losses.items():
        ax_loss.plot(curve, label=name)
    ax_loss.set(xlabel="step", ylabel="NT-Xent loss", title="SimCLR pre-training")
    ax_loss.legend()
    return fig
