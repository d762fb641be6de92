"""l3.activation_maximisation - maximise a class output by gradient ascent to see what the net
learned (lecture 3, "Advanced topics").

Simonyan, Vedaldi & Zisserman 2014, Sec. 2 (class model visualisation: gradient ascent on the
image of the class score minus an L2 penalty), with the random jitter of Yosinski et al. 2015
(`lecturelab.nn.visualise.class_model`). Deliberate departure: the score ascended is the log-odds
of the class probability, log(p / (1 - p)), not the unnormalised logit Simonyan et al. chose,
since the claim is about the probability: a logit can rise while another rises faster (for this
net it drives bird, cat and deer to p ~ 0), and log p stops pulling as p nears 1. The net is the
CIFAR-10 `SmallCNN` trained once per process (`common.trained_cnn`); all classes are optimised
together, one image each, from Gaussian noise in normalised-pixel space. The class probability
is the softmax of the final, un-jittered image's logits in eval mode. The figure stretches each
image's contrast to [0, 1] for display.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.experiments.lecture3.common import cifar10, trained_cnn
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.nn.visualise import class_model


@dataclass(frozen=True)
class ActivationMaximisationConfig:
    score: str = "log_odds"  # class output ascended: log(p / (1 - p)) of its probability p
    steps: int = 200  # gradient-ascent steps
    lr: float = 0.05  # Adam step size on normalised pixels
    l2: float = 1e-4  # weight of the L2 penalty ||x||^2
    jitter: int = 1  # largest random shift (px) before each step (~7 px at 224x224)
    threshold: float = 0.99  # target class probability to reach
    min_classes: int = 9  # classes (of 10) that must reach it


@experiment(
    "l3.activation_maximisation", lecture=3,
    claim="Maximise one activation (or class output) by gradient ascent to see what the net "
          "learned.",
    criterion="for a cifar10-trained CNN, gradient ascent from noise (with jitter and L2 "
              "regularisation) raises the target class probability to at least 0.99 for at "
              "least 9 of 10 classes within 200 steps; figure grid",
    quick=ActivationMaximisationConfig(),
    full=ActivationMaximisationConfig(),
    smoke=ActivationMaximisationConfig(steps=5),
)
def activation_maximisation(cfg: ActivationMaximisationConfig, run: Run) -> Result:
    model, cnn_acc = trained_cnn(run.profile, run.seed, run.device)
    data = cifar10(run.profile)
    classes = list(range(data.num_classes))
    images = class_model(model, classes, input_shape=data.input_shape, score=cfg.score,
                         steps=cfg.steps,
                         lr=cfg.lr, l2=cfg.l2, jitter=cfg.jitter, seed=run.seed)
    with torch.no_grad():
        prob = model(images).softmax(1)[torch.arange(len(classes)), classes].tolist()
    reached = sum(p >= cfg.threshold for p in prob)
    run.log(f"CNN test accuracy {cnn_acc:.4f}; class probabilities "
            + ", ".join(f"{data.classes[c]} {p:.4f}" for c, p in zip(classes, prob, strict=True)))
    return Result(
        metrics={"cnn_test_acc": cnn_acc, "target_prob": dict(zip(data.classes, prob,
                                                                   strict=True)),
                 "classes_reached": reached, "min_prob": min(prob)},
        checks=[Check.at_least(f"classes of {len(classes)} whose target probability reaches "
                               f"{cfg.threshold} within {cfg.steps} steps", reached,
                               cfg.min_classes, detail=f"lowest {min(prob):.4f}")],
        figures={"class_models": figure(images.cpu(), data.classes, prob)},
        headline=("classes_reached", "min_prob", "cnn_test_acc"),
    )


def figure(images: torch.Tensor, names: tuple[str, ...], prob: list[float]) -> Figure:
    """A grid of the class images, each stretched to [0, 1]."""
    fig = Figure(figsize=(10, 4.6), layout="constrained")
    axes = fig.subplots(2, (len(names) + 1) // 2).flat
    lo = images.amin((1, 2, 3), keepdim=True)
    hi = images.amax((1, 2, 3), keepdim=True)
    shown = ((images - lo) / (hi - lo).clamp_min(1e-8)).permute(0, 2, 3, 1)  # (K, H, W, C)
    for ax, image, name, p in zip(axes, shown, names, prob, strict=False):
        ax.imshow(image.numpy())
        ax.set_title(f"{name}\np = {p:.3f}", fontsize=9)
        ax.axis("off")
    fig.suptitle("Class models: images that maximise each class score")
    return fig
