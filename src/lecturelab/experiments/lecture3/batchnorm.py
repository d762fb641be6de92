"""l3.batchnorm - batch norm: stochastic in training, frozen for test, robust to learning rates
(lecture 3, "Going deeper: case studies").

Ioffe & Szegedy 2015, "Batch Normalization", Sec. 3 (train mode normalises with the batch's mean
and variance, so an image's output depends on its batch companions; inference uses the running
population statistics instead) and Sec. 3.3 / 4.2.2 (higher learning rates). The net is
`SmallCNN` with two 3x3 convs a stage, with and without BN (He-initialised, biases instead of
BN), trained with the same recipe (SGD with Nesterov momentum, one warm-up epoch, cosine
schedule) at each learning rate of the sweep on a class-balanced CIFAR-10 subset, area-averaged to
16x16 to fit the quick budget. "Trains well" means a test accuracy of at least 90% of the best
accuracy of the whole sweep (both nets). The BN net of the best learning rate is the trained net
of the first two checks: companions are swapped in train mode, and the test set is scored in
train mode with batches of 2 (the bug the lecture warns of) on a copy, as that updates the
running statistics.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.data import ClassificationData
from lecturelab.experiments.lecture3.common import cifar10, downsample
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.small_cnn import SmallCNN
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import accuracy, fit, normalised


@dataclass(frozen=True)
class BatchNormConfig:
    lrs: tuple[float, ...] = (1e-3, 1e-2, 1e-1, 1.0)  # learning-rate sweep, x10 steps
    n_train: int = 2000  # training images of the subset (class-balanced)
    n_test: int = 1000  # test images
    size: int = 16  # image side after area averaging
    widths: tuple[int, ...] = (16, 32, 64)  # SmallCNN stage widths
    convs: int = 2  # 3x3 convs a stage
    epochs: int = 8  # passes over the subset at each learning rate
    batch_size: int = 64  # images a step
    warmup_epochs: float = 1.0  # linear warm-up
    companions: int = 7  # other images in the batch of the fixed image
    mistaken_batch: int = 2  # batch size of the train-mode evaluation


@experiment(
    "l3.batchnorm", lecture=3,
    claim="BN introduces stochasticity; at test time it makes an image depend on the other "
          "images in the batch, so freeze it for test; it is robust to learning rates and "
          "speeds up training.",
    criterion="train mode: a fixed image's logits change (>1e-3) when its batch companions "
              "change, eval mode: identical; a trained BN net evaluated by mistake in train mode "
              "with batch size 2 loses at least 5 accuracy points; over a learning-rate sweep "
              "(x10 steps from 1e-3 to 1) on a cifar10 subset, the BN net trains well (accuracy "
              "at least 90% of the best) at strictly more learning rates than the same net "
              "without BN",
    quick=BatchNormConfig(),
    full=BatchNormConfig(n_train=50_000, n_test=10_000, size=32, widths=(64, 128, 256),
                         epochs=30, batch_size=128),
    smoke=BatchNormConfig(n_train=200, n_test=100, size=8, widths=(8, 16), convs=1, epochs=1,
                          batch_size=50),
)
def batchnorm(cfg: BatchNormConfig, run: Run) -> Result:
    data = cifar10(run.profile).subset(n_train=cfg.n_train, n_test=cfg.n_test, seed=run.seed)
    data = downsample(data, cfg.size) if cfg.size != data.input_shape[-1] else data
    acc: dict[str, list[float]] = {"bn": [], "no_bn": []}
    best_bn, best_bn_acc = None, -1.0
    for norm, name in ((True, "bn"), (False, "no_bn")):
        for lr in cfg.lrs:
            torch.manual_seed(run.seed)
            model = SmallCNN(widths=cfg.widths, convs=cfg.convs, norm=norm)
            train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=lr,
                                warmup_epochs=cfg.warmup_epochs, seed=run.seed)
            acc[name].append(fit(model, data, train, run.device).test_acc)
            run.log(f"{name} lr={lr:g}: test accuracy {acc[name][-1]:.4f}")
            if norm and acc[name][-1] > best_bn_acc:
                best_bn, best_bn_acc = model, acc[name][-1]
    assert best_bn is not None
    train_mode_change, eval_mode_change = companion_effect(best_bn, data, cfg.companions)
    eval_acc = accuracy(best_bn, data, run.device)
    mistaken_acc = train_mode_accuracy(best_bn, data, run.device, cfg.mistaken_batch)
    best = max(acc["bn"] + acc["no_bn"])
    good = {name: [lr for lr, a in zip(cfg.lrs, accs, strict=True) if a >= 0.9 * best]
            for name, accs in acc.items()}
    return Result(
        metrics={"lrs": list(cfg.lrs), "test_acc": acc, "best_acc": best,
                 "lrs_training_well": good, "train_mode_logit_change": train_mode_change,
                 "eval_mode_logit_change": eval_mode_change, "eval_mode_acc": eval_acc,
                 "train_mode_batch2_acc": mistaken_acc},
        checks=[
            Check.above("train mode: max |change| of a fixed image's logits with new batch "
                        "companions", train_mode_change, 1e-3),
            Check.equal("eval mode: max |change| of its logits", eval_mode_change, 0.0),
            Check.at_least(f"accuracy lost by train-mode evaluation at batch size "
                           f"{cfg.mistaken_batch}", eval_acc - mistaken_acc, 0.05,
                           detail=f"eval mode {eval_acc:.4f}, train mode {mistaken_acc:.4f}"),
            Check.above("learning rates where BN trains well minus those where no BN does",
                        len(good["bn"]) - len(good["no_bn"]), 0,
                        detail=f"BN at {good['bn']}, no BN at {good['no_bn']} "
                               f"(>= {0.9 * best:.4f})"),
        ],
        figures={"lr_sweep": figure(cfg.lrs, acc, best)},
        headline=("lrs_training_well", "eval_mode_acc", "train_mode_batch2_acc"),
    )


@torch.no_grad()
def companion_effect(model: nn.Module, data: ClassificationData, companions: int
                     ) -> tuple[float, float]:
    """Max |change| of image 0's logits when its batch companions are swapped, in train mode
    and in eval mode (on a copy: train mode updates the running statistics)."""
    net = copy.deepcopy(model).cpu()
    x = normalised(data, data.x_test[: 2 * companions + 1])
    first, second = x[: companions + 1], torch.cat([x[:1], x[companions + 1:]])
    changes = []
    for train_mode in (True, False):
        net.train(train_mode)
        changes.append((net(first)[0] - net(second)[0]).abs().max().item())
    return changes[0], changes[1]


@torch.no_grad()
def train_mode_accuracy(model: nn.Module, data: ClassificationData, device: torch.device,
                        batch_size: int) -> float:
    """Test accuracy when BN is (wrongly) left in train mode, in batches of `batch_size`."""
    net = copy.deepcopy(model).to(device).train()
    x, y = normalised(data, data.x_test).to(device), data.y_test.to(device)
    correct = sum((net(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
                  for i in range(0, len(y), batch_size))
    return correct / len(y)


def figure(lrs: tuple[float, ...], acc: dict[str, list[float]], best: float) -> Figure:
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    for name, label in (("bn", "with BN"), ("no_bn", "without BN")):
        ax.plot(lrs, acc[name], "o-", label=label)
    ax.axhline(0.9 * best, color="grey", ls=":", label="90% of the best")
    ax.set(xscale="log", xlabel="learning rate", ylabel="test accuracy",
           title="BN trains well over a wider range of learning rates")
    ax.legend()
    return fig
