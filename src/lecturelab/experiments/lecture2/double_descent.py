"""l2.double_descent - over-parameterisation does not make things worse: double descent.

Lecture 2; Belkin et al. (2019), "Reconciling modern machine-learning practice and the classical
bias-variance trade-off", section 3, Fig. 2 (random features, minimum-norm least squares). On
mnist1d: n training samples drawn from the 4,000 (a new draw per seed), p random ReLU features
relu(x V), one-hot targets fitted by the minimum-norm solution (`fit_random_features`), test
error = arg-max classification error on the 1,000 test signals. The p grid is geometric with
`per_octave` points per doubling from n/16 to 16n (n/4, n and 16n on it); each seed redraws both
the training subset and the features. Departure from the paper: mnist1d instead of MNIST, and
classification error rather than squared loss as the reported test error.
"""

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure

from lecturelab.data import load_dataset
from lecturelab.foundations.random_features import fit_random_features
from lecturelab.lab import Check, Result, Run, experiment


@dataclass(frozen=True)
class DoubleDescentConfig:
    n: int = 256  # training samples
    seeds: int = 3  # draws of training subset and features, averaged
    per_octave: int = 4  # p grid points per doubling of p
    octaves: int = 4  # the grid spans n / 2^octaves to n * 2^octaves (criterion: 4, i.e. 16x)


@experiment(
    "l2.double_descent", lecture=2,
    claim="Over-parameterisation does not make things worse: double descent.",
    criterion="random ReLU features + minimum-norm least squares on mnist1d (n train samples), "
              "features p from n/16 to 16n, mean over 3 seeds: the test-error maximum lies in "
              "[n/2, 2n], and the error there exceeds both the error at p=n/4 and at p=16n",
    quick=DoubleDescentConfig(), full=DoubleDescentConfig(n=1000, seeds=10, per_octave=8),
    smoke=DoubleDescentConfig(n=32, seeds=1, per_octave=1),
)
def double_descent(cfg: DoubleDescentConfig, run: Run) -> Result:
    data = load_dataset("mnist1d")
    x_test = data.x_test.double().to(run.device)
    y_test = data.y_test.to(run.device)
    ps = feature_counts(cfg)
    test_err, train_err = np.zeros((cfg.seeds, len(ps))), np.zeros((cfg.seeds, len(ps)))
    for s in range(cfg.seeds):
        g = torch.Generator().manual_seed(run.seed + s)
        pick = torch.randperm(len(data.x_train), generator=g)[:cfg.n]
        x, y = data.x_train[pick].double().to(run.device), data.y_train[pick].to(run.device)
        for j, p in enumerate(ps):
            clf = fit_random_features(x, y, num_features=p, num_classes=data.num_classes,
                                      generator=g)
            test_err[s, j], train_err[s, j] = clf.error(x_test, y_test), clf.error(x, y)
    mean, std = test_err.mean(axis=0), test_err.std(axis=0)
    peak = int(mean.argmax())
    p_peak, at = ps[peak], {p: float(e) for p, e in zip(ps, mean, strict=True)}
    quarter, widest = at[round(cfg.n / 4)], at[ps[-1]]
    run.log("mean test error: " + ", ".join(f"p={p}: {e:.3f}" for p, e in at.items()))

    fig = descent_figure(ps, mean, std, train_err, cfg)
    return Result(
        metrics={"n": cfg.n, "p": ps, "test_error_mean": mean.tolist(),
                 "test_error_std": std.tolist(), "train_error_mean": train_err.mean(0).tolist(),
                 "peak_p": p_peak, "peak_error": float(mean[peak]), "error_at_n_over_4": quarter,
                 "error_at_16n": widest},
        checks=[
            Check.between("the test-error maximum's p / n", p_peak / cfg.n, 0.5, 2.0,
                          detail=f"maximum at p={p_peak}"),
            Check.above("the error there minus the error at p=n/4", float(mean[peak]) - quarter,
                        0.0, detail=f"{mean[peak]:.3f} vs {quarter:.3f}"),
            Check.above("the error there minus the error at p=16n", float(mean[peak]) - widest,
                        0.0, detail=f"{mean[peak]:.3f} vs {widest:.3f} (p={ps[-1]})"),
        ],
        figures={"double_descent": fig},
        headline=("peak_p", "peak_error", "error_at_16n"),
    )


def feature_counts(cfg: DoubleDescentConfig) -> list[int]:
    steps = range(-cfg.octaves * cfg.per_octave, cfg.octaves * cfg.per_octave + 1)
    return [round(cfg.n * 2 ** (s / cfg.per_octave)) for s in steps]


def descent_figure(ps: list[int], mean: np.ndarray, std: np.ndarray, train_err: np.ndarray,
                   cfg: DoubleDescentConfig) -> Figure:
    """Mean test error (with its spread) and train error against p / n, the [n/2, 2n] band."""
    fig = Figure(figsize=(7, 4), layout="constrained")
    ax = fig.subplots()
    ratio = np.array(ps) / cfg.n
    ax.semilogx(ratio, mean, "o-", ms=3, label=f"test error (mean of {cfg.seeds})")
    ax.fill_between(ratio, mean - std, mean + std, alpha=0.25)
    ax.semilogx(ratio, train_err.mean(axis=0), "s--", ms=3, label="train error")
    ax.axvspan(0.5, 2.0, color="grey", alpha=0.15, label="[n/2, 2n]")
    ax.axvline(1.0, color="k", lw=0.8)
    ax.set(xlabel="features p / n", ylabel="classification error", ylim=(0, 1),
           title=f"random ReLU features, min-norm least squares, mnist1d, n={cfg.n}")
    ax.legend(fontsize=8)
    return fig
