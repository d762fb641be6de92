"""l2.losses - cross-entropy = negative log likelihood = logistic loss; additive; cost in classes.

Lecture 2; Bishop (2006), "Pattern Recognition and Machine Learning", sections 4.3.2 and 4.3.4.
In float64, three separate computations per sample: cross-entropy H(onehot(y), softmax(z)) =
-sum_k q_k log p_k from its definition (NumPy); negative log likelihood -log p_y (torch,
`nll_loss` of `log_softmax`); for two classes the logistic loss log(1 + exp(-(z_y - z_other)))
(NumPy `logaddexp`). torch's `F.cross_entropy` is compared too. Agreement is per-sample absolute
difference in nats: the relative difference on a near-zero loss (a confident, correct sample)
measures the cancellation inside log_softmax, not the identity; it is reported beside it.

FLOPs are counted from the operations actually executed: forward and backward of
`F.cross_entropy` run under `lecturelab.foundations.flop_count.ExecutedFlops`, a dispatch mode
that sees every aten op with its real tensors and charges 1 FLOP per output element of an
elementwise op, 1 per input element of a reduction, 2MNK per matrix product; the fused softmax
and NLL kernels run through torch's decompositions of them, so their elementary ops (max,
subtract, exp, sum, log, gather, multiply) are what is executed and counted, and the loss and
gradient computed that way are compared with the fused ones. torch's FlopCounterMode counts
matrix products only and reports 0 here (shown for contrast). Linear growth = the log-log
slope of FLOPs vs K, fitted over K = 1e2..1e6, within 0.05 of 1: K log K growth would give a
slope of 1 + 1/ln K, 1.07 to 1.22 over this range, so the tolerance tells the two apart. Wall-
clock time is not used: on a shared 2-core CPU, per-call overhead and contention swamp a softmax
over fewer than ~1e5 classes.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure
from torch.utils.flop_counter import FlopCounterMode

from lecturelab.foundations.flop_count import ExecutedFlops
from lecturelab.lab import Check, Result, Run, experiment

SLOPE_TOLERANCE = 0.05  # |slope - 1|; K log K has slope 1 + 1/ln K, 1.07..1.22 on 1e2..1e6


@dataclass(frozen=True)
class LossesConfig:
    batch: int = 64  # samples in the agreement and additivity checks
    classes: int = 10  # classes for cross-entropy vs NLL (the logistic check uses 2)
    logit_scale: float = 5.0  # std of the random logits (confident and unsure samples)
    flop_batch: int = 8  # rows whose softmax-CE FLOPs are counted
    flop_classes: tuple[float, ...] = (1e2, 3e2, 1e3, 3e3, 1e4, 3e4, 1e5, 3e5, 1e6)  # K sweep


@experiment(
    "l2.losses", lecture=2,
    claim="Cross-entropy = negative log likelihood = logistic loss; losses are additive over "
          "samples; softmax does not scale well with the number of classes.",
    criterion="the three losses agree to 1e-12 (float64, logistic via the logit difference for 2 "
              "classes); batch loss equals the sum of per-sample losses; softmax-CE FLOPs "
              "(counted from the operations actually executed, e.g. by the profiler, not from a "
              "cost table written beside the code) grow linearly in the number of classes from "
              "1e2 to 1e6",
    quick=LossesConfig(), full=LossesConfig(batch=4096, flop_batch=64),
    smoke=LossesConfig(batch=8, flop_classes=(1e2, 1e3, 1e4)),
)
def losses(cfg: LossesConfig, run: Run) -> Result:
    g = torch.Generator().manual_seed(run.seed)
    agree, relative = three_losses(cfg, g)
    added = additivity(cfg, g)
    ks = [int(k) for k in cfg.flop_classes]
    counts = [counted_flops(cfg.flop_batch, k, g) for k in ks]
    flops = [c["flops"] for c in counts]
    slope = float(np.polyfit(np.log(ks), np.log(flops), 1)[0])
    per_class = flops[-1] / (cfg.flop_batch * ks[-1])
    differs = max(c["differs"] for c in counts)
    run.log(f"executed FLOPs {dict(zip(ks, flops, strict=True))}; by op at K={ks[-1]}: "
            f"{counts[-1]['by_op']}; FlopCounterMode {[c['flop_counter_mode'] for c in counts]}")
    worst = max(agree.values())
    return Result(
        metrics={**{f"abs_diff_{k}": v for k, v in agree.items()},
                 "max_rel_diff_ce_vs_logistic": relative,
                 "additivity_rel_diff": added["value"], "gradient_additivity_rel_diff":
                 added["gradient"], "classes": ks, "flops": flops,
                 "flops_by_op_at_largest_k": counts[-1]["by_op"],
                 "counted_vs_fused_max_abs_diff": differs,
                 "flop_counter_mode": [c["flop_counter_mode"] for c in counts],
                 "flops_loglog_slope": slope, "flops_per_class_per_sample": per_class},
        checks=[
            Check.at_most("largest per-sample disagreement of CE, NLL and logistic loss "
                          "(float64, nats)", worst, 1e-12,
                          detail=", ".join(f"{k} {v:.1e}" for k, v in agree.items())
                          + f"; largest relative {relative:.1e} (on a near-zero loss)"),
            Check.at_most("relative difference of batch loss and the sum of per-sample losses "
                          "(values and gradients)", max(added.values()), 1e-12,
                          detail=f"values {added['value']:.1e}, gradients "
                                 f"{added['gradient']:.1e}"),
            Check.at_most("the counted (executed, decomposed) softmax-CE: largest |difference| "
                          "of its loss and gradient from the fused kernels'", differs, 1e-4,
                          detail="float32"),
            Check.equal("log-log slope of executed softmax-CE FLOPs vs K", slope, 1.0,
                        tolerance=SLOPE_TOLERANCE,
                        detail=f"K={ks[0]}..{ks[-1]}, {per_class:.2f} FLOPs per class per "
                               f"sample; FlopCounterMode counts "
                               f"{counts[-1]['flop_counter_mode']}"),
        ],
        notes=[f"K sweep {ks[0]}..{ks[-1]} (the criterion: 1e2 to 1e6); K log K would give a "
               "slope of 1.07-1.22 there"],
        figures={"flops": flops_figure(ks, flops, slope, cfg.flop_batch)},
        headline=("flops_loglog_slope", "abs_diff_ce_vs_logistic", "additivity_rel_diff"),
    )


def flops_figure(ks: list[int], flops: list[int], slope: float, batch: int) -> Figure:
    """Executed FLOPs against K on log-log axes, with linear and K log K growth for contrast."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    ax.loglog(ks, flops, "o-", label=f"executed FLOPs (slope {slope:.3f})")
    ax.loglog(ks, [flops[0] * k / ks[0] for k in ks], "k:", label="linear in K")
    ax.loglog(ks, [flops[0] * k * math.log(k) / (ks[0] * math.log(ks[0])) for k in ks], "k--",
              lw=0.8, label="K log K (for contrast)")
    ax.set(xlabel="classes K", ylabel=f"FLOPs, batch {batch}, forward + backward",
           title="softmax cross-entropy cost")
    ax.legend(fontsize=8)
    return fig


def counted_flops(batch: int, k: int, g: torch.Generator) -> dict:
    """Executed FLOPs of forward + backward of softmax-CE on (batch, k) logits, by op; the
    largest difference of the counted run's loss and gradient from the fused kernels'; and
    FlopCounterMode's count."""
    z = torch.randn(batch, k, generator=g, requires_grad=True)
    y = torch.randint(0, k, (batch,), generator=g)
    with ExecutedFlops() as counter:
        loss = F.cross_entropy(z, y)
        (grad,) = torch.autograd.grad(loss, z)
    with FlopCounterMode(display=False) as reference:
        fused = F.cross_entropy(z, y)
        (fused_grad,) = torch.autograd.grad(fused, z)
    differs = max((loss - fused).abs().item(), (grad - fused_grad).abs().max().item())
    return {"flops": counter.total, "by_op": dict(counter.by_op), "differs": differs,
            "flop_counter_mode": reference.get_total_flops()}


def abs_diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)))


def cross_entropy_numpy(z: np.ndarray, q: np.ndarray) -> np.ndarray:
    """H(q, softmax(z)) = -sum_k q_k log p_k per row, from the definition (max-shifted softmax)."""
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    return -np.where(q > 0, q * np.log(p), 0.0).sum(axis=1)


def three_losses(cfg: LossesConfig, g: torch.Generator) -> tuple[dict[str, float], float]:
    """Largest per-sample absolute disagreements (nats) between CE, NLL and logistic loss, and
    the largest relative one between CE and logistic loss."""
    z = cfg.logit_scale * torch.randn(cfg.batch, cfg.classes, generator=g, dtype=torch.float64)
    y = torch.randint(0, cfg.classes, (cfg.batch,), generator=g)
    z2, y2 = z[:, :2], y % 2  # the two-class problem
    ce, ce2 = (cross_entropy_numpy(logits.numpy(), F.one_hot(labels, logits.shape[1]).numpy())
               for logits, labels in ((z, y), (z2, y2)))
    nll, nll2 = (F.nll_loss(F.log_softmax(logits, dim=1), labels, reduction="none").numpy()
                 for logits, labels in ((z, y), (z2, y2)))
    rows = np.arange(cfg.batch)
    margin = (z2[rows, y2] - z2[rows, 1 - y2]).numpy()  # z_y - z_other
    logistic = np.logaddexp(0.0, -margin)  # log(1 + exp(-margin))
    relative = float(np.max(np.abs(ce2 - logistic) / logistic))
    torch_ce = F.cross_entropy(z, y, reduction="none").numpy()
    return {"ce_vs_nll": abs_diff(ce, nll), "ce_vs_logistic": abs_diff(ce2, logistic),
            "nll_vs_logistic": abs_diff(nll2, logistic), "torch_ce_vs_ce": abs_diff(torch_ce, ce)
            }, relative


def additivity(cfg: LossesConfig, g: torch.Generator) -> dict[str, float]:
    """Batch loss vs the sum of per-sample losses, for values and for gradients."""
    z = cfg.logit_scale * torch.randn(cfg.batch, cfg.classes, generator=g, dtype=torch.float64)
    y = torch.randint(0, cfg.classes, (cfg.batch,), generator=g)
    z.requires_grad_(True)
    batch_loss = F.cross_entropy(z, y, reduction="sum")
    (batch_grad,) = torch.autograd.grad(batch_loss, z)
    singles = [F.cross_entropy(z[i:i + 1], y[i:i + 1], reduction="sum") for i in range(cfg.batch)]
    summed = sum(s.item() for s in singles)
    grad_sum = sum(torch.autograd.grad(s, z)[0] for s in singles)
    return {"value": abs(batch_loss.item() - summed) / abs(summed),
            "gradient": float(((batch_grad - grad_sum).abs().max() / grad_sum.abs().max()).item())}
