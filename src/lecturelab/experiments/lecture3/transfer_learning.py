"""l3.transfer_learning - pre-training and fine-tuning: features are shared across tasks
(lecture 3, "Advanced topics").

Yosinski et al. 2014, "How transferable are features in deep neural networks?" (Sec. 2: split a
dataset's classes into two tasks, train on one, transfer to the other; fine-tuning all layers).
A `SmallCNN` is pre-trained on the CIFAR-10 classes 0-4 (airplane, automobile, bird, cat, deer),
then its classifier is replaced and the whole net fine-tuned on classes 5-9 (dog, frog, horse,
ship, truck) with 50 labelled images a class; the same net from a fresh initialisation is
trained on the same 250 images with the same recipe (steps, learning rate, crop + flip
augmentation). Both are scored on every test image of classes 5-9. The pre-trained net is
trained once a run; the seeds draw the 250 labelled images, the new classifier and the order.
To fit the quick budget the images are area-averaged to 16x16 and the stages are 24-48-96 wide,
which lets the pre-training see all 25,000 images of classes 0-4 eight times: the gain grows
with the pre-trained net's quality (five passes of the 32-64-128 net gave 8.8 points, eight 11.7).
"""

from __future__ import annotations

import copy
import statistics
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data import ClassificationData
from lecturelab.experiments.lecture3.common import cifar10, downsample
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.small_cnn import SmallCNN
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import fit

SOURCE, TARGET = (0, 1, 2, 3, 4), (5, 6, 7, 8, 9)  # CIFAR-10 class indices of the two tasks


@dataclass(frozen=True)
class TransferConfig:
    seeds: int = 3  # fine-tuning seeds (labelled-image draws)
    labels_per_class: int = 50  # labelled target images a class
    size: int = 16  # image side after area averaging (32: as is)
    widths: tuple[int, ...] = (24, 48, 96)  # SmallCNN stage widths
    pretrain_images: int | None = None  # source training images; None: all 25,000
    pretrain_epochs: int = 8  # passes over them
    pretrain_lr: float = 0.1  # peak learning rate of pre-training (batch 128, augmented)
    epochs: int = 20  # passes over the 250 labelled images, fine-tuned and from scratch
    batch_size: int = 50  # images a step on the target task
    lr: float = 0.05  # peak learning rate on the target task, both arms


@experiment(
    "l3.transfer_learning", lecture=3,
    claim="Pre-training, fine-tuning: features are shared across tasks.",
    criterion="pre-train on cifar10 classes 0-4, fine-tune on classes 5-9 with 50 labels a "
              "class: test accuracy at least 10 points above training from scratch (mean of 3 "
              "seeds)",
    quick=TransferConfig(),
    full=TransferConfig(size=32, widths=(64, 128, 256), pretrain_epochs=30),
    smoke=TransferConfig(seeds=1, labels_per_class=10, size=8, widths=(8, 16),
                         pretrain_images=500, pretrain_epochs=1, epochs=2),
)
def transfer_learning(cfg: TransferConfig, run: Run) -> Result:
    data = cifar10(run.profile)
    source = shrink(data.subset(n_train=cfg.pretrain_images, classes=SOURCE, seed=run.seed), cfg)
    torch.manual_seed(run.seed)
    pretrained = SmallCNN(widths=cfg.widths, num_classes=len(SOURCE))
    pretrain = TrainConfig(epochs=cfg.pretrain_epochs, batch_size=128, lr=cfg.pretrain_lr,
                           augment=True, seed=run.seed)
    source_acc = fit(pretrained, source, pretrain, run.device, channels_last=True).test_acc
    run.log(f"pre-trained on classes 0-4: test accuracy {source_acc:.4f}")
    acc: dict[str, list[float]] = {"fine_tuned": [], "scratch": []}
    for i in range(cfg.seeds):
        seed = run.seed + i
        target = shrink(data.subset(n_train=cfg.labels_per_class * len(TARGET), classes=TARGET,
                                    seed=seed), cfg)
        for arm in acc:
            torch.manual_seed(seed)
            model = copy.deepcopy(pretrained) if arm == "fine_tuned" else SmallCNN(
                widths=cfg.widths, num_classes=len(SOURCE))
            model.reset_classifier(len(TARGET))
            train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                                augment=True, seed=seed)
            acc[arm].append(fit(model, target, train, run.device, channels_last=True).test_acc)
            run.log(f"seed {seed} {arm}: test accuracy {acc[arm][-1]:.4f}")
    mean = {arm: statistics.fmean(a) for arm, a in acc.items()}
    std = {arm: statistics.pstdev(a) for arm, a in acc.items()}
    gain = mean["fine_tuned"] - mean["scratch"]
    return Result(
        metrics={"source_test_acc": source_acc, "test_acc": acc, "mean": mean, "std": std,
                 "gain": gain},
        checks=[Check.at_least("test-accuracy gain of fine-tuned over from scratch (mean of seeds)",
                               gain, 0.10, detail=f"fine-tuned {mean['fine_tuned']:.4f} vs "
                                                  f"scratch {mean['scratch']:.4f}")],
        figures={"accuracy": figure(acc)},
        headline=("gain", "mean"),
    )


def shrink(data: ClassificationData, cfg: TransferConfig) -> ClassificationData:
    return downsample(data, cfg.size) if cfg.size != data.input_shape[-1] else data


def figure(acc: dict[str, list[float]]) -> Figure:
    fig = Figure(figsize=(5, 4), layout="constrained")
    ax = fig.subplots()
    for x, (arm, values) in enumerate(acc.items()):
        ax.bar(x, statistics.fmean(values), 0.6, alpha=0.6, label=arm.replace("_", "-"))
        ax.plot([x] * len(values), values, "ko", ms=4)
    ax.set_xticks(range(len(acc)), ["pre-trained + fine-tuned", "from scratch"])
    ax.set(ylabel="test accuracy, classes 5-9", ylim=(0, 1),
           title="50 labels a class: pre-training on classes 0-4 helps")
    return fig
