"""l2.training_recipe - over-fit one batch first; add shape asserts because of broadcasting.

Lecture 2, after Karpathy's "A Recipe for Training Neural Networks" (2019): "overfit one batch",
"monitor norms of weights", "add shape asserts". The planted pipeline bug: a loader that
permutes the labels apart from their inputs on every call (as a collate that shuffles x and y
with separate permutations would), so no input keeps its label. The broadcasting bug: a (B, 1)
regression output against a (B,) target, where (pred - target)^2 silently becomes (B, B).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from matplotlib.figure import Figure

from lecturelab.data import load_dataset
from lecturelab.foundations.losses import mse_loss
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.mlp import MLP
from lecturelab.nn.diagnostics import weight_norms
from lecturelab.train.overfit import OverfitReport, overfit_one_batch


@dataclass(frozen=True)
class TrainingRecipeConfig:
    batch_size: int = 32  # examples in the one batch (mnist1d)
    steps: int = 500  # optimiser-step budget of overfit_one_batch
    lr: float = 3e-3  # its Adam learning rate
    target_loss: float = 0.01  # the loss a correct model must get below
    width: int = 64  # hidden units of the 2-hidden-layer ReLU MLP


@experiment(
    "l2.training_recipe", lecture=2,
    claim="always over-fit first; monitor weight norms; add shape asserts because of broadcasting",
    criterion="`overfit_one_batch` drives a correct model's loss on one batch of 32 below 0.01 "
              "within 500 steps, and flags a planted pipeline bug (loss stays at least 1.0); an "
              "MSE between a (B,1) prediction and a (B,) target silently returns a value off by "
              "more than 10% from the correct one, while the shape-checked loss raises an error "
              "naming both shapes",
    quick=TrainingRecipeConfig(), full=TrainingRecipeConfig(),
    smoke=TrainingRecipeConfig(steps=20))
def training_recipe(cfg: TrainingRecipeConfig, run: Run) -> Result:
    data = load_dataset("mnist1d")
    x = data.x_train[:cfg.batch_size].to(run.device)
    y = data.y_train[:cfg.batch_size].to(run.device)
    fit = dict(steps=cfg.steps, lr=cfg.lr, target_loss=cfg.target_loss)
    torch.manual_seed(run.seed)
    model = MLP(x.shape[1], data.num_classes, width=cfg.width).to(run.device)
    norms_before = weight_norms(model)
    correct = overfit_one_batch(model, (x, y), **fit)
    g = torch.Generator(device=run.device).manual_seed(run.seed)

    def shuffled_labels() -> tuple[torch.Tensor, torch.Tensor]:
        return x, y[torch.randperm(len(y), generator=g, device=run.device)]

    torch.manual_seed(run.seed)
    buggy = overfit_one_batch(MLP(x.shape[1], data.num_classes, width=cfg.width).to(run.device),
                              shuffled_labels, **fit)
    demo = broadcasting_demo(x, y, cfg, run.seed)
    off_by = abs(demo["naive"] - demo["correct"]) / demo["correct"]
    shapes = (f"({', '.join(map(str, demo['pred_shape']))})",
              f"({demo['target_shape'][0]},)")
    names_both = bool(demo["shape_error"]) and all(s in demo["shape_error"] for s in shapes)
    run.log(f"correct: {correct.steps_taken} steps to {correct.final_loss:.4f}; planted bug: "
            f"min loss {min(buggy.losses):.3f}; shape error: {demo['shape_error']!r}")
    return Result(
        metrics={"correct_steps": correct.steps_taken, "correct_final_loss": correct.final_loss,
                 "bug_min_loss": min(buggy.losses), "bug_final_loss": buggy.final_loss,
                 "mse_correct": demo["correct"], "mse_broadcast": demo["naive"],
                 "mse_relative_error": off_by, "torch_mse_loss_warns": demo["torch_mse_loss_warns"],
                 "shape_error": demo["shape_error"], "weight_norms_before": norms_before,
                 "weight_norms_after": weight_norms(model)},
        checks=[
            Check.below(f"a correct model's loss on one batch of {len(y)} after at most "
                        f"{cfg.steps} steps", correct.final_loss, cfg.target_loss,
                        detail=f"{correct.steps_taken} steps taken"),
            Check.at_least("the planted pipeline bug's lowest loss (flagged: stays at least 1.0)",
                           min(buggy.losses), 1.0,
                           detail=f"over {buggy.steps_taken} steps; flagged: {not buggy.passed}"),
            Check.above("relative error of the MSE of a (B,1) prediction vs a (B,) target",
                        off_by, 0.10, detail=f"{demo['naive']:.3f} vs correct "
                                             f"{demo['correct']:.4f}"),
            Check.equal("warnings raised by that MSE (silently: none)", demo["naive_warnings"], 0),
            Check.holds("the shape-checked loss raises an error naming both shapes", names_both,
                        detail=repr(demo["shape_error"])),
        ],
        notes=[f"one batch of {cfg.batch_size} mnist1d examples, a budget of {cfg.steps} Adam "
               f"steps at lr {cfg.lr} (the criterion: 32 and 500)"],
        figures={"overfit_one_batch": losses_figure(correct, buggy, cfg)},
        headline=("correct_steps", "bug_min_loss", "mse_relative_error"),
    )


def naive_mse(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """The hand-written MSE with no shape check: broadcasting decides what it computes."""
    return ((pred - target) ** 2).mean()


def broadcasting_demo(x: torch.Tensor, y: torch.Tensor, cfg: TrainingRecipeConfig,
                      seed: int) -> dict:
    """Fit a 1-output regressor to the labels, then score its (B, 1) output three ways."""
    torch.manual_seed(seed)
    regressor = MLP(x.shape[1], 1, width=cfg.width).to(x.device)
    target = y.float()  # (B,)
    overfit_one_batch(regressor, (x, target), loss_fn=lambda p, t: mse_loss(p[:, 0], t),
                      steps=cfg.steps, lr=cfg.lr, target_loss=cfg.target_loss)
    with torch.no_grad():
        pred = regressor(x)  # (B, 1)
    correct = mse_loss(pred[:, 0], target).item()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        naive = naive_mse(pred, target).item()
    with warnings.catch_warnings(record=True) as torch_caught:
        warnings.simplefilter("always")
        F.mse_loss(pred, target)
    try:
        mse_loss(pred, target)
        error = ""
    except ValueError as e:
        error = str(e)
    return {"correct": correct, "naive": naive, "naive_warnings": len(caught),
            "torch_mse_loss_warns": bool(torch_caught), "shape_error": error,
            "pred_shape": tuple(pred.shape), "target_shape": tuple(target.shape)}


def losses_figure(correct: OverfitReport, buggy: OverfitReport,
                  cfg: TrainingRecipeConfig) -> Figure:
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.plot(correct.losses, label="correct pipeline")
    ax.plot(buggy.losses, label="labels shuffled every step (planted bug)")
    ax.axhline(cfg.target_loss, color="0.5", ls="--", lw=1)
    ax.axhline(1.0, color="0.5", ls=":", lw=1)
    ax.set(yscale="log", xlabel="optimiser step", ylabel="loss on the batch",
           title=f"over-fit one batch of {cfg.batch_size} first")
    ax.legend()
    return fig
