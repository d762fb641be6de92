"""l3.residual_depth - residual connections make training deeper networks simpler (lecture 3).

He et al. 2016a, "Deep Residual Learning for Image Recognition", Sec. 4.2 and Fig. 6: the CIFAR-10
nets of 6n+2 layers (`lecturelab.models.cifar_resnet`, option-A shortcuts) and their plain twins,
trained with one schedule. Plain nets get harder to optimise with depth (plain-56's training
error is above plain-20's); residual nets do not. The full profile follows the paper's schedule:
batch 128, lr 0.1 divided by 10 at 32k and 48k iterations, 64k in all, weight decay 1e-4,
momentum 0.9, 4-px crop and flip augmentation; departure: it trains on all 50k training images
(He et al. held out 5k for validation). The quick profile shrinks widths to (8, 16, 32), images
to 16x16 (area averaging) and training to 200 steps on 2560 images, with a short warm-up and a
cosine schedule, as the criterion allows. "Final training loss" is the mean over the last epoch;
"training error" (full) is measured in eval mode on the un-augmented training set.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturelab.experiments.lecture3.common import cifar10, downsample
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.cifar_resnet import cifar_resnet
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import accuracy, fit

TABLE6_TEST_ERROR = {20: 0.0875, 56: 0.0697}  # He et al. 2016a, Table 6, ResNet-20 and -56


@dataclass(frozen=True)
class ResidualDepthConfig:
    depths: tuple[int, int] = (20, 56)  # shallow and deep net, 6n+2 layers each
    n_train: int | None = 2560  # training images (class-balanced); None: all 50k
    n_test: int | None = 1000  # test images; None: all 10k
    size: int = 16  # image side after area averaging (32: CIFAR-10 as is)
    widths: tuple[int, int, int] = (8, 16, 32)  # channels of the three stages (paper 16-32-64)
    epochs: int = 5  # passes over the training images
    batch_size: int = 64  # images a step
    lr: float = 0.05  # peak learning rate
    schedule: str = "cosine"  # learning-rate schedule (step: /10 at 50% and 75%)
    warmup_epochs: float = 1.0  # linear warm-up
    weight_decay: float = 5e-4  # L2 penalty
    augment: bool = False  # random crop + flip
    paper_scale: bool = False  # judge by the full criterion (training and test errors)


@experiment(
    "l3.residual_depth", lecture=3,
    claim="Residual connections make training deeper networks simpler.",
    criterion="cifar10, plain vs residual nets of 20 and 56 layers, same schedule. quick (subset, "
              "reduced width and resolution, a few hundred steps): the plain net degrades with "
              "depth (plain-56 final training loss above plain-20's) by more than the residual "
              "net does, and at 56 layers the residual net's final training loss is at least 20% "
              "below the plain net's; *full* (whole dataset): plain-56 training error above "
              "plain-20's and ResNet-56's at most ResNet-20's (He et al. 2016, Fig. 6), test "
              "errors reported next to Table 6",
    quick=ResidualDepthConfig(),
    full=ResidualDepthConfig(n_train=None, n_test=None, size=32, widths=(16, 32, 64),
                             epochs=164, batch_size=128, lr=0.1, schedule="step",
                             warmup_epochs=0.0, weight_decay=1e-4, augment=True,
                             paper_scale=True),
    smoke=ResidualDepthConfig(depths=(8, 14), n_train=256, n_test=100, widths=(4, 8, 16),
                              epochs=2, batch_size=64),
)
def residual_depth(cfg: ResidualDepthConfig, run: Run) -> Result:
    data = cifar10(run.profile).subset(n_train=cfg.n_train, n_test=cfg.n_test, seed=run.seed)
    data = downsample(data, cfg.size) if cfg.size != data.input_shape[-1] else data
    train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                        schedule=cfg.schedule, warmup_epochs=cfg.warmup_epochs,
                        weight_decay=cfg.weight_decay, augment=cfg.augment, seed=run.seed)
    loss, train_err, test_err, curves = {}, {}, {}, {}
    for depth in cfg.depths:
        for kind in ("plain", "resnet"):
            name = f"{kind}{depth}"
            torch.manual_seed(run.seed)
            model = cifar_resnet(depth, residual=kind == "resnet", widths=cfg.widths)
            fitted = fit(model, data, train, run.device)
            loss[name], curves[name] = fitted.train_loss, fitted.step_losses
            test_err[name] = 1 - fitted.test_acc
            if cfg.paper_scale:
                train_err[name] = 1 - accuracy(model, data, run.device, split="train")
            run.log(f"{name}: final training loss {loss[name]:.4f}, "
                    f"test error {test_err[name]:.4f}")
    shallow, deep = cfg.depths
    checks = paper_checks(train_err, shallow, deep) if cfg.paper_scale else quick_checks(
        loss, shallow, deep)
    metrics = {"final_train_loss": loss, "test_error": test_err,
               "table6_test_error": {f"resnet{d}": e for d, e in TABLE6_TEST_ERROR.items()},
               "plain_degradation": loss[f"plain{deep}"] - loss[f"plain{shallow}"],
               "resnet_degradation": loss[f"resnet{deep}"] - loss[f"resnet{shallow}"]}
    if cfg.paper_scale:
        metrics["train_error"] = train_err
    return Result(metrics=metrics, checks=checks, figures={"training_loss": figure(curves)},
                  headline=("plain_degradation", "resnet_degradation"))


def quick_checks(loss: dict[str, float], shallow: int, deep: int) -> list[Check]:
    p_s, p_d = loss[f"plain{shallow}"], loss[f"plain{deep}"]
    r_s, r_d = loss[f"resnet{shallow}"], loss[f"resnet{deep}"]
    return [
        Check.above(f"plain-{deep} final training loss minus plain-{shallow}'s", p_d - p_s, 0.0,
                    detail=f"plain-{deep} {p_d:.4f} vs plain-{shallow} {p_s:.4f}"),
        Check.above("degradation with depth, plain minus residual", (p_d - p_s) - (r_d - r_s),
                    0.0, detail=f"plain {p_d - p_s:+.4f} vs residual {r_d - r_s:+.4f}"),
        Check.at_most(f"at {deep} layers: residual final training loss over plain", r_d / p_d,
                      0.8, detail=f"resnet-{deep} {r_d:.4f} vs plain-{deep} {p_d:.4f}"),
    ]


def paper_checks(err: dict[str, float], shallow: int, deep: int) -> list[Check]:
    return [
        Check.above(f"plain-{deep} training error minus plain-{shallow}'s",
                    err[f"plain{deep}"] - err[f"plain{shallow}"], 0.0,
                    detail=f"{err[f'plain{deep}']:.4f} vs {err[f'plain{shallow}']:.4f}"),
        Check.at_most(f"ResNet-{deep} training error minus ResNet-{shallow}'s",
                      err[f"resnet{deep}"] - err[f"resnet{shallow}"], 0.0,
                      detail=f"{err[f'resnet{deep}']:.4f} vs {err[f'resnet{shallow}']:.4f}"),
    ]


def figure(curves: dict[str, list[float]]) -> Figure:
    """Training loss against steps, plain dashed and residual solid, as He et al. Fig. 6."""
    fig = Figure(figsize=(6.5, 4), layout="constrained")
    ax = fig.subplots()
    for name, losses in curves.items():
        window = max(1, len(losses) // 20)
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        ax.plot(np.arange(len(smooth)) + window, smooth, "--" if name.startswith("plain") else "-",
                label=name)
    ax.set(xlabel="step", ylabel="training loss (moving average)",
           title="Plain nets degrade with depth; residual nets do not")
    ax.legend()
    return fig
