"""l2.dead_relu - ReLU needs careful initialisation: too-large weights kill units (lecture 2).

He et al. 2015 ("Delving deep into rectifiers", Sec. 2.2) for the init that keeps ReLU nets
alive; the dead-unit debug metric as in Karpathy's "A Recipe for Training Neural Networks" (2019).
Both nets are trained by the library's Trainer (plain SGD: no momentum, no weight decay, constant
learning rate), whose Diagnostics callback logs the dead fraction per layer and stops a run at
the first NaN/inf loss or gradient. The N(0, 1), lr-1 run does blow up within a few steps; it is
then measured with its last finite weights, the ones the guard stopped on.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.data import ClassificationData, load_dataset
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.mlp import MLP
from lecturelab.nn.diagnostics import dead_relu_fraction
from lecturelab.train.callbacks import Diagnostics, NonFiniteError
from lecturelab.train.loop import TrainConfig, Trainer


@dataclass(frozen=True)
class DeadReluConfig:
    careless_seeds: int = 20  # seeds of the N(0, 1) run; its dead fraction is a mean over them
    he_seeds: int = 5  # seeds of the He-init run
    width: int = 256  # units in each of the 2 hidden layers
    epochs: int = 10  # passes over the 4000 mnist1d training examples
    batch_size: int = 128  # SGD batch size
    careless_lr: float = 1.0  # lr of the N(0, 1) run (the criterion's)
    sane_lr: float = 0.1  # lr of the He-init run


@experiment(
    "l2.dead_relu", lecture=2,
    claim="ReLU needs careful initialisation due to dead neurons (debug metric)",
    criterion="a 2x256 ReLU MLP on mnist1d with weights N(0,1) (far above He scale) trained by "
              "SGD with lr 1: at least 40% of hidden units are dead (never active on the "
              "training set) and train accuracy at most half of the He-init run; He init, zero "
              "biases, a sane lr: at most 5% dead. The dead fraction is a trainer diagnostic "
              "logged per layer",
    quick=DeadReluConfig(), full=DeadReluConfig(careless_seeds=100, he_seeds=20, epochs=50),
    smoke=DeadReluConfig(careless_seeds=1, he_seeds=1, width=16, epochs=1))
def dead_relu(cfg: DeadReluConfig, run: Run) -> Result:
    data = load_dataset("mnist1d")
    careless = [train_run(data, cfg, careless=True, seed=run.seed + i, device=run.device)
                for i in range(cfg.careless_seeds)]
    he = [train_run(data, cfg, careless=False, seed=run.seed + i, device=run.device)
          for i in range(cfg.he_seeds)]
    dead_bad, dead_he = [r["dead"] for r in careless], [r["dead"] for r in he]
    acc_bad, acc_he = [r["train_acc"] for r in careless], [r["train_acc"] for r in he]
    diverged = [r["diverged_at_step"] for r in careless]
    n_diverged = sum(d is not None for d in diverged)
    for name, rs in (("N(0,1) lr 1", careless), ("He", he)):
        for r in rs:
            run.log(f"{name}: dead {r['dead_per_layer']} acc {r['train_acc']:.3f} "
                    f"diverged at step {r['diverged_at_step']}")
    logged_layers = sorted(he[0]["logged"])
    return Result(
        metrics={"careless_dead": mean_std(dead_bad), "he_dead": mean_std(dead_he),
                 "careless_train_acc": mean_std(acc_bad), "he_train_acc": mean_std(acc_he),
                 "careless_dead_per_layer": [r["dead_per_layer"] for r in careless],
                 "careless_diverged_at_step": diverged, "careless_diverged_runs": n_diverged,
                 "he_logged_dead_fraction": he[0]["logged"]},
        checks=[
            Check.at_least("N(0,1) weights, SGD lr 1: mean fraction of hidden units dead on the "
                           "train set", statistics.fmean(dead_bad), 0.40,
                           detail=f"+- {stdev(dead_bad):.3f} over {len(dead_bad)} seeds (layer 1 "
                                  f"/ layer 2 means {layer_means(careless)}); the loss went "
                                  f"non-finite in {n_diverged}/{len(diverged)} runs, at step "
                                  f"{min((d for d in diverged if d is not None), default=None)}"
                                  " or later"),
            Check.at_most("its train accuracy over the He-init run's",
                          statistics.fmean(acc_bad) / statistics.fmean(acc_he), 0.5,
                          detail=f"{statistics.fmean(acc_bad):.3f} vs He "
                                 f"{statistics.fmean(acc_he):.3f}"),
            Check.at_most(f"He init, zero biases, lr {cfg.sane_lr}: largest dead fraction",
                          max(dead_he), 0.05, detail=f"max over {len(dead_he)} seeds"),
            Check.equal("hidden layers whose dead fraction the trainer's diagnostics logged",
                        len(logged_layers), 2,
                        detail=f"logged: {', '.join(logged_layers) or 'nothing'}"),
        ],
        figures={"dead_fraction": dead_figure(careless, he)},
        headline=("careless_dead", "he_dead", "careless_train_acc"),
    )


@torch.no_grad()
def train_accuracy(model: MLP, data: ClassificationData, device: torch.device) -> float:
    model.eval()
    pred = model(data.x_train.to(device)).argmax(dim=1)
    return (pred == data.y_train.to(device)).float().mean().item()


def train_run(data: ClassificationData, cfg: DeadReluConfig, *, careless: bool, seed: int,
              device: torch.device) -> dict:
    """Train one 2xwidth ReLU MLP; its dead fractions (per layer and pooled) and accuracy."""
    torch.manual_seed(seed)
    init = dict(init="normal", init_std=1.0) if careless else dict(init="he", bias_init=0.0)
    model = MLP(data.input_shape[0], data.num_classes, width=cfg.width, depth=2, **init)
    train_cfg = TrainConfig(epochs=cfg.epochs, batch_size=cfg.batch_size, momentum=0.0,
                            weight_decay=0.0, schedule="constant", seed=seed,
                            lr=cfg.careless_lr if careless else cfg.sane_lr)
    trainer = Trainer(model, data, train_cfg, device=device, callbacks=[Diagnostics(every=1)])
    diverged_at = None
    try:
        trainer.fit()
    except NonFiniteError:
        diverged_at = trainer.state.step
    per_layer = dead_relu_fraction(model, data.x_train.split(1000))
    logged = {k: v for k, v in (trainer.state.history or [{}])[-1].items()
              if k.startswith("dead_relu/")}
    return {"dead": statistics.fmean(per_layer.values()), "dead_per_layer": per_layer,
            "train_acc": train_accuracy(model, data, device), "diverged_at_step": diverged_at,
            "logged": logged}


def stdev(values: list[float]) -> float:
    return statistics.stdev(values) if len(values) > 1 else 0.0


def mean_std(values: list[float]) -> dict[str, float]:
    return {"mean": statistics.fmean(values), "std": stdev(values)}


def layer_means(runs: list[dict]) -> str:
    layers = runs[0]["dead_per_layer"]
    return " / ".join(f"{statistics.fmean(r['dead_per_layer'][k] for r in runs):.3f}"
                      for k in layers)


def dead_figure(careless: list[dict], he: list[dict]) -> Figure:
    """Dead fraction per hidden layer and pooled, one dot per seed, for both initialisations."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for offset, (name, rs) in enumerate((("N(0,1), lr 1", careless), ("He init", he))):
        for r in rs:
            fractions = [*r["dead_per_layer"].values(), r["dead"]]
            ax.scatter([i + 0.15 * offset for i in range(len(fractions))], fractions,
                       color=f"C{offset}", label=name if r is rs[0] else None)
    ax.axhline(0.4, color="0.5", ls="--", lw=1)
    ax.set(xticks=[0, 1, 2], xticklabels=["hidden layer 1", "hidden layer 2", "both, pooled"],
           ylim=(-0.05, 1.05),
           ylabel="fraction of units never active", title="dead ReLUs on mnist1d (train set)")
    ax.legend()
    return fig
