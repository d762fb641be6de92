"""l3.augmentation - data augmentation makes convnets robust to other transformations (lecture 3,
"Advanced topics").

The standard CIFAR-10 augmentation of He et al. 2016 (Sec. 4.2; Krizhevsky et al. 2012, Sec. 4.1):
a random crop from the image zero-padded by 4 px, and a random horizontal flip, drawn afresh every
step (`TrainConfig(augment=True)`). With 2000 training images the same net, seed and number of
steps are trained with and without it; per seed the 2000 images are a fresh class-balanced draw.
The net is `SmallCNN` with two max pools and a flattened 8x8 map into its classifier, which fits
2000 images within the quick budget and is not translation invariant by construction, so it has
something to learn from shifted copies. Training accuracy is measured in eval mode on the
un-augmented training images; the train-test gap is training minus test accuracy.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturelab.experiments.lecture3.common import cifar10
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.small_cnn import SmallCNN
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import accuracy, fit


@dataclass(frozen=True)
class AugmentationConfig:
    seeds: int = 3  # training seeds (and training-image draws)
    n_train: int = 2000  # training images, class-balanced
    n_test: int = 2000  # test images
    widths: tuple[int, ...] = (8, 16, 32)  # SmallCNN stage widths
    pools: int = 2  # max pools (the last stage's 8x8 map is flattened)
    epochs: int = 10  # passes over the training images, same for both arms
    batch_size: int = 64  # images a step
    lr: float = 0.03  # peak learning rate (SGD, Nesterov, cosine schedule)


@experiment(
    "l3.augmentation", lecture=3,
    claim="Data augmentation makes convnets robust to other transformations.",
    criterion="cifar10 with 2000 training images, same model and steps: flip+crop augmentation "
              "raises test accuracy by at least 3 points (mean of 3 seeds) and shrinks the "
              "train-test gap",
    quick=AugmentationConfig(),
    full=AugmentationConfig(n_test=10_000, widths=(64, 128, 256), epochs=100),
    smoke=AugmentationConfig(seeds=1, n_train=200, n_test=100, widths=(8, 16, 16), epochs=1,
                             batch_size=50),
)
def augmentation(cfg: AugmentationConfig, run: Run) -> Result:
    runs: dict[str, dict[str, list[float]]] = {
        arm: {"train_acc": [], "test_acc": [], "gap": []} for arm in ("plain", "augmented")}
    for i in range(cfg.seeds):
        seed = run.seed + i
        data = cifar10(run.profile).subset(n_train=cfg.n_train, n_test=cfg.n_test, seed=seed)
        for arm in runs:
            torch.manual_seed(seed)
            model = SmallCNN(widths=cfg.widths, pools=cfg.pools, head="flatten",
                             input_size=data.input_shape[-1])
            train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                                augment=arm == "augmented", seed=seed)
            test_acc = fit(model, data, train, run.device).test_acc
            train_acc = accuracy(model, data, run.device, split="train")
            for key, value in (("train_acc", train_acc), ("test_acc", test_acc),
                               ("gap", train_acc - test_acc)):
                runs[arm][key].append(value)
            run.log(f"seed {seed} {arm}: train {train_acc:.4f}, test {test_acc:.4f}")
    mean = {arm: {k: statistics.fmean(v) for k, v in r.items()} for arm, r in runs.items()}
    std = {arm: {k: statistics.pstdev(v) for k, v in r.items()} for arm, r in runs.items()}
    gain = mean["augmented"]["test_acc"] - mean["plain"]["test_acc"]
    return Result(
        metrics={"runs": runs, "mean": mean, "std": std, "test_acc_gain": gain,
                 "gap_plain": mean["plain"]["gap"], "gap_augmented": mean["augmented"]["gap"]},
        checks=[
            Check.at_least("test-accuracy gain from augmentation (mean of seeds)", gain, 0.03,
                           detail=f"{mean['plain']['test_acc']:.4f} -> "
                                  f"{mean['augmented']['test_acc']:.4f}"),
            Check.below("train-test gap with augmentation minus without",
                        mean["augmented"]["gap"] - mean["plain"]["gap"], 0.0,
                        detail=f"{mean['plain']['gap']:.4f} -> {mean['augmented']['gap']:.4f}"),
        ],
        figures={"accuracy": figure(mean, std)},
        headline=("test_acc_gain", "gap_plain", "gap_augmented"),
    )


def figure(mean: dict[str, dict[str, float]], std: dict[str, dict[str, float]]) -> Figure:
    fig = Figure(figsize=(5.5, 4), layout="constrained")
    ax = fig.subplots()
    x = np.arange(2)
    for offset, arm in ((-0.2, "plain"), (0.2, "augmented")):
        ax.bar(x + offset, [mean[arm]["train_acc"], mean[arm]["test_acc"]], 0.4,
               yerr=[std[arm]["train_acc"], std[arm]["test_acc"]], label=arm)
    ax.set_xticks(x, ["train", "test"])
    ax.set(ylabel="accuracy (mean over seeds)", ylim=(0, 1),
           title="Flip + crop: lower training, higher test accuracy")
    ax.legend()
    return fig
