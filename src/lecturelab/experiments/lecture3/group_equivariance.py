"""l3.group_equivariance - group-equivariant convnets: invariance to rotation (lecture 3,
"Advanced topics").

Cohen & Welling 2016, "Group Equivariant Convolutional Networks", Sec. 6-7, for the rotation
group p4 (`lecturelab.nn.group_conv`). With R = rot90 on the spatial axes:

  lifting conv   lift(R x) = R roll(lift(x), 1, rotation axis)
  p4 conv        conv(R y) = R roll(conv(y), 1)   where R y = R roll(y, 1) on a p4 map y
  ordinary conv  conv(R x) != R conv(x)

Errors are max |lhs - rhs| / max |rhs| on random inputs (float32). The classifier is
lift -> [BN -> ReLU -> p4 conv] -> BN -> ReLU -> max over rotations -> global average pool ->
linear; its logits for the four rotations of an input agree to float32 rounding (relative
error as above, checked to 1e-5) and its predicted classes are identical. Beyond the
criterion, it and an ordinary CNN of the same layout (twice the channels, so the middle convs
have as many weights) are trained on upright 8x8 digits and tested on the four rotations of
the test digits.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.data import ClassificationData, DeviceLoader, load_dataset
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.nn.group_conv import P4GroupConv, P4LiftingConv, pool_rotations
from lecturelab.train.loop import TrainConfig, Trainer, evaluate


@dataclass(frozen=True)
class GroupEquivarianceConfig:
    channels: int = 8  # p4 channels (each with 4 rotations); the ordinary CNN gets twice this
    layers: int = 2  # p4 group convs after the lifting conv
    image_size: int = 17  # side of the random test images of the single layers
    epochs: int = 10  # training passes over the 1437 digits (the accuracy demonstration)
    batch_size: int = 64  # images a step
    lr: float = 0.05  # peak SGD learning rate


@experiment(
    "l3.group_equivariance", lecture=3,
    claim="group-equivariant convnets: invariance to e.g. rotation",
    criterion="a p4 (90 degree) group convolution: output for rot90(x) equals the rotated, "
              "channel-permuted output for x to 1e-5 (ordinary conv: error at least 0.1); with "
              "pooling over rotations, a p4 classifier's outputs are identical for the four "
              "rotations of an input",
    quick=GroupEquivarianceConfig(), full=GroupEquivarianceConfig(channels=16, layers=3,
                                                                  epochs=30),
    smoke=GroupEquivarianceConfig(channels=4, layers=1, image_size=7, epochs=1))
def group_equivariance(cfg: GroupEquivarianceConfig, run: Run) -> Result:
    errors = layer_errors(cfg, run.seed)
    data = load_dataset("digits")
    accuracies, spreads = {}, {}
    for name, p4, width in (("p4", True, cfg.channels), ("ordinary", False, 2 * cfg.channels)):
        torch.manual_seed(run.seed)
        model = RotationClassifier(channels=width, layers=cfg.layers, p4=p4)
        train = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr,
                            seed=run.seed)
        Trainer(model, data, train, device=run.device).fit()
        accuracies[name] = rotated_accuracies(model, data, run.device)
        x = (data.x_test.float() / 255 - data.mean[0]) / data.std[0]
        spreads[name] = rotation_spread(model.cpu(), x)
    spread, same_class = spreads["p4"]
    run.log(f"layer errors {errors}; accuracy at 0/90/180/270 {accuracies}; "
            f"logit spread over rotations {spreads}")
    return Result(
        metrics={"equivariance_error": errors, "logit_spread_over_rotations":
                 {k: v[0] for k, v in spreads.items()},
                 "same_class_for_all_rotations": {k: v[1] for k, v in spreads.items()},
                 "accuracy_by_rotation": accuracies},
        checks=[
            Check.at_most("p4 lifting and group convs: relative error of the output for rot90(x) "
                          "vs the rotated, channel-permuted output for x",
                          max(errors["lifting"], errors["group"]), 1e-5,
                          detail=f"lifting {errors['lifting']:.1e}, group {errors['group']:.1e}"),
            Check.at_least("ordinary conv: that relative error", errors["ordinary"], 0.1),
            Check.holds("p4 classifier with pooling over rotations: the same classes for the four "
                        "rotations", same_class,
                        detail=f"{len(data.y_test)} test digits (ordinary CNN: "
                               f"{spreads['ordinary'][1]})"),
            Check.at_most("its logits' relative spread over the four rotations (float32 "
                          "rounding)", spread, 1e-5,
                          detail=f"ordinary CNN: {spreads['ordinary'][0]:.2f}"),
        ],
        figures={"rotations": rotations_figure(data, accuracies)},
        headline=("equivariance_error", "logit_spread_over_rotations"),
    )


def rot(x: torch.Tensor, r: int = 1) -> torch.Tensor:
    return torch.rot90(x, r, dims=(-2, -1))


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return float((a - b).abs().max() / b.abs().max())


class RotationClassifier(nn.Module):
    """p4: lift -> [BN3d -> ReLU -> P4GroupConv] x layers -> BN3d -> ReLU -> max over rotations
    -> global average pool -> linear. `p4=False` builds the same layout from ordinary convs."""

    def __init__(self, *, channels: int, layers: int, p4: bool = True, in_chans: int = 1,
                 num_classes: int = 10) -> None:
        super().__init__()
        norm = nn.BatchNorm3d if p4 else nn.BatchNorm2d
        conv = P4GroupConv if p4 else nn.Conv2d
        self.p4, self.num_classes = p4, num_classes
        self.lift = (P4LiftingConv if p4 else nn.Conv2d)(in_chans, channels, 3, padding=1)
        self.body = nn.Sequential(*[nn.Sequential(norm(channels), nn.ReLU(),
                                                  conv(channels, channels, 3, padding=1))
                                    for _ in range(layers)], norm(channels), nn.ReLU())
        self.fc = nn.Linear(channels, num_classes)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        features = self.body(self.lift(x))  # (B, C, 4, H, W) for p4, else (B, C, H, W)
        return pool_rotations(features) if self.p4 else features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.forward_features(x).mean((2, 3)))  # (B, num_classes)


@torch.no_grad()
def layer_errors(cfg: GroupEquivarianceConfig, seed: int) -> dict[str, float]:
    torch.manual_seed(seed)
    x = torch.randn(2, 3, cfg.image_size, cfg.image_size)
    y = torch.randn(2, cfg.channels, 4, cfg.image_size, cfg.image_size)  # a p4 map
    lift = P4LiftingConv(3, cfg.channels, 3, padding=1)
    group = P4GroupConv(cfg.channels, cfg.channels, 3, padding=1)
    plain = nn.Conv2d(3, cfg.channels, 3, padding=1)
    return {
        "lifting": relative_error(lift(rot(x)), rot(lift(x).roll(1, dims=2))),
        "group": relative_error(group(rot(y.roll(1, dims=2))), rot(group(y).roll(1, dims=2))),
        "ordinary": relative_error(plain(rot(x)), rot(plain(x))),
    }


def rotated_accuracies(model: nn.Module, data: ClassificationData, device: torch.device
                       ) -> list[float]:
    """Test accuracy on the digits rotated by 0, 90, 180 and 270 degrees."""
    return [evaluate(model, DeviceLoader(rot(data.x_test, r), data.y_test, batch_size=500,
                                         device=device, shuffle=False, mean=data.mean,
                                         std=data.std), device)["test_acc"] for r in range(4)]


@torch.no_grad()
def rotation_spread(model: nn.Module, x: torch.Tensor) -> tuple[float, bool]:
    """Relative error of logits(rot^r x) against logits(x), largest over r = 1..3, and whether
    all argmaxes agree."""
    model.eval()
    logits = [model(rot(x, r)) for r in range(4)]
    spread = max(relative_error(out, logits[0]) for out in logits[1:])
    same_class = all(torch.equal(out.argmax(1), logits[0].argmax(1)) for out in logits[1:])
    return spread, same_class


def rotations_figure(data: ClassificationData, accuracies: dict[str, list[float]]) -> Figure:
    fig = Figure(figsize=(10, 3.8))
    ax_img, ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.2)})
    strip = torch.cat([rot(data.x_test[0, 0], r) for r in range(4)], dim=1)  # (8, 32)
    ax_img.imshow(strip.numpy(), cmap="Greys")
    ax_img.set(title="a test digit at 0, 90, 180, 270 degrees", xticks=[], yticks=[])
    angles = np.arange(4)
    for i, (name, accs) in enumerate(accuracies.items()):
        ax.bar(angles * 3 + i, accs, label=f"{name} classifier")
    ax.set(xticks=angles * 3 + 0.5, xticklabels=["0", "90", "180", "270"], ylim=(0, 1),
           xlabel="rotation of the test digits (degrees)", ylabel="test accuracy",
           title="trained on upright digits")
    ax.legend()
    return fig
