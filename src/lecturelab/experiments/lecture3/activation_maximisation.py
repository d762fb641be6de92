"""l3.activation_maximisation - maximise a class output by gradient ascent to see what the net
learned (lecture 3, "Advanced topics").

Simonyan, Vedaldi & Zisserman 2014, Sec. 2 (class model visualisation: gradient ascent on the
image of the class score minus an L2 penalty), with the random jitter of Yosinski et al. 2015
(`lecturelab.nn.visualise.class_model`). The net is the CIFAR-10 `SmallCNN` trained once per
process (`common.trained_cnn`); all classes are optimised together, one image each, from
Gaussian noise. The class probability is the softmax of the final, un-jittered image's logits in
eval mode.

Pixels stay in the valid image range: the ascent runs on an unconstrained u, and the image is
sigmoid(u), in [0, 1] per channel, normalised by the CIFAR-10 mean and std before the net sees
it (`PixelImage`). The L2 penalty acts on u, which pulls every pixel toward mid-grey (0.5, close
to the data mean): the counterpart, for this parametrisation, of Simonyan et al.'s penalty on the
mean-subtracted image. The measured pixel range of the final images is part of the result.

Deliberate departure: the score ascended is the log-odds of the class probability,
log(p / (1 - p)), not the unnormalised logit Simonyan et al. chose, since the claim is about the
probability: a logit can rise while another rises faster, and log p stops pulling as p nears 1.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from torch import nn

from lecturelab.experiments.lecture3.common import cifar10, trained_cnn
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.nn.visualise import class_model

THRESHOLD = 0.99  # the criterion's target class probability
MIN_CLASSES = 9  # classes (of 10) that must reach it


@dataclass(frozen=True)
class ActivationMaximisationConfig:
    score: str = "log_odds"  # class output ascended: log(p / (1 - p)) of its probability p
    steps: int = 200  # gradient-ascent steps (the criterion: within 200)
    lr: float = 0.05  # Adam step size on u, image = sigmoid(u)
    l2: float = 1e-4  # weight of the L2 penalty ||u||^2
    jitter: int = 1  # largest random shift (px) before each step (~7 px at 224x224)
    noise_std: float = 0.1  # std of the Gaussian noise u starts from


@experiment(
    "l3.activation_maximisation", lecture=3,
    claim="Maximise one activation (or class output) by gradient ascent to see what the net "
          "learned.",
    criterion="for a cifar10-trained CNN, gradient ascent from noise (with jitter and L2 "
              "regularisation, pixels kept in the valid image range) raises the target class "
              "probability to at least 0.99 for at least 9 of 10 classes within 200 steps; "
              "figure grid",
    quick=ActivationMaximisationConfig(),
    full=ActivationMaximisationConfig(),
    smoke=ActivationMaximisationConfig(steps=5),
)
def activation_maximisation(cfg: ActivationMaximisationConfig, run: Run) -> Result:
    model, cnn_acc = trained_cnn(run.profile, run.seed, run.device)
    data = cifar10(run.profile)
    net = PixelImage(model, data.mean, data.std).to(run.device)
    classes = list(range(data.num_classes))
    u = class_model(net, classes, input_shape=data.input_shape, score=cfg.score,
                    steps=cfg.steps, lr=cfg.lr, l2=cfg.l2, jitter=cfg.jitter,
                    noise_std=cfg.noise_std, seed=run.seed)
    with torch.no_grad():
        images = torch.sigmoid(u)  # (K, C, H, W), pixels in [0, 1]
        prob = net(u).softmax(1)[torch.arange(len(classes)), classes].tolist()
    reached = sum(p >= THRESHOLD for p in prob)
    low, high = images.min().item(), images.max().item()
    run.log(f"CNN test accuracy {cnn_acc:.4f}; pixel range [{low:.4f}, {high:.4f}]; class "
            "probabilities " + ", ".join(f"{data.classes[c]} {p:.4f}"
                                         for c, p in zip(classes, prob, strict=True)))
    return Result(
        metrics={"cnn_test_acc": cnn_acc, "target_prob": dict(zip(data.classes, prob,
                                                                   strict=True)),
                 "classes_reached": reached, "min_prob": min(prob), "pixel_min": low,
                 "pixel_max": high},
        checks=[
            Check.at_least(f"classes of {len(classes)} whose target probability reaches "
                           f"{THRESHOLD} within {cfg.steps} steps", reached, MIN_CLASSES,
                           detail=f"lowest {min(prob):.4f}"),
            Check.at_least("smallest pixel of the class images (valid range [0, 1])", low, 0.0),
            Check.at_most("largest pixel of the class images", high, 1.0),
        ],
        notes=[f"{cfg.steps} Adam steps (lr {cfg.lr}), jitter {cfg.jitter} px, L2 weight "
               f"{cfg.l2} on u (image = sigmoid(u)), from N(0, {cfg.noise_std}^2) noise in u"],
        figures={"class_models": figure(images.cpu(), data.classes, prob)},
        headline=("classes_reached", "min_prob", "cnn_test_acc"),
    )


class PixelImage(nn.Module):
    """`model` applied to the image sigmoid(u), normalised as its training inputs were."""

    def __init__(self, model: nn.Module, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        self.model = model
        self.register_buffer("mean", torch.tensor(mean).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std).view(1, -1, 1, 1))

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.model((torch.sigmoid(u) - self.mean) / self.std)  # (B, num_classes)


def figure(images: torch.Tensor, names: tuple[str, ...], prob: list[float]) -> Figure:
    """A grid of the class images, shown as they are (pixels in [0, 1])."""
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    axes = fig.subplots(2, (len(names) + 1) // 2).flat
    for ax, image, name, p in zip(axes, images.permute(0, 2, 3, 1), names, prob, strict=False):
        ax.imshow(image.numpy())  # (H, W, C)
        ax.set_title(f"{name}\np = {p:.3f}", fontsize=9)
        ax.axis("off")
    fig.suptitle("Class models: images in [0, 1] that maximise each class's probability")
    return fig
