"""l3.conv_variants - valid, full, same, strided, dilated and depthwise convolution; pooling.

Lecture 3, "Building blocks". Follows Dumoulin & Visin 2016, "A guide to convolution arithmetic
for deep learning": output size floor((n + 2p - d(k-1) - 1)/s) + 1 (Relationship 6, Sec. 5.1 for
dilation), which reads n - d(k-1) for valid, n + d(k-1) for full, n for same and ceil(n/s) for
strided 'same' convolutions. Each random configuration builds the helpers of
`lecturelab.nn.conv` and torch's pooling layers and compares their output shapes with these
closed forms, their values with scipy.signal.correlate2d (a dilated kernel is compared as the
ordinary kernel with d-1 zeros between its taps; strided 'same' as scipy's 'same' subsampled;
depthwise as one correlation per channel), the receptive field of a dilated kernel with the
extent of the input gradient of one output pixel, and depthwise parameter counts with C k^2 (+C).
Runs on the CPU in float32 (scipy's reference in float64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from scipy.signal import correlate2d
from torch import nn

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.nn.conv import (
    conv_output_size,
    depthwise_conv,
    full_conv,
    receptive_field,
    same_conv,
    strided_conv,
    valid_conv,
)


@dataclass(frozen=True)
class ConvVariantsConfig:
    configurations: int = 200  # random configurations, each testing every variant
    max_extra_size: int = 12  # input side = smallest valid side + up to this many pixels
    max_kernel: int = 7  # kernel sizes 1..max_kernel ('same' variants round up to odd)
    max_stride: int = 3  # strides 1..max_stride (at least 2 for the strided conv)
    max_dilation: int = 3  # dilations 1..max_dilation
    max_channels: int = 4  # input and output channels 1..max_channels


@experiment(
    "l3.conv_variants", lecture=3,
    claim="valid, full, same, strided, dilated, depthwise convolution; pooling",
    criterion="on 200 random configurations, output sizes equal the closed-form formulas; "
              "valid/full/same outputs equal scipy.signal.correlate2d to 1e-5; a dilated kernel's "
              "receptive field is d(k-1)+1; depthwise params are C k^2 (+C)",
    quick=ConvVariantsConfig(), full=ConvVariantsConfig(configurations=2000),
    smoke=ConvVariantsConfig(configurations=10, max_extra_size=4))
def conv_variants(cfg: ConvVariantsConfig, run: Run) -> Result:
    rng = np.random.default_rng(run.seed)
    torch.manual_seed(run.seed)
    shape_misses, fields, depthwise_misses = [], [], 0
    errors = {"valid": 0.0, "full": 0.0, "same": 0.0}
    for i in range(cfg.configurations):
        c = draw(rng, cfg)
        shapes, errs = shapes_and_values(c, torch.randn(1, c.c_in, c.h, c.w))
        shape_misses += [(name, got, want, c) for name, got, want in shapes if got != want]
        errors = {mode: max(errors[mode], errs[mode]) for mode in errors}
        fields.append((c.k, c.d, extent(gradient_support(c.k, c.d, seed=run.seed + i))))
        with_bias, want_bias, no_bias, want = depthwise_counts(c)
        depthwise_misses += (with_bias != want_bias) + (no_bias != want)
    field_misses = [(k, d, got) for k, d, got in fields if got != receptive_field(k, d)]
    dilated = [f for f in fields if f[1] > 1]
    worst = max(errors.values())
    run.log(f"{cfg.configurations} configurations: {len(shape_misses)} shape misses "
            f"{shape_misses[:3]}; max |torch - scipy| {errors}; receptive-field misses "
            f"{field_misses[:3]}; depthwise count misses {depthwise_misses}")
    return Result(
        metrics={"configurations": cfg.configurations, "shape_mismatches": len(shape_misses),
                 "max_abs_error": errors, "max_abs_error_worst": worst,
                 "receptive_field_mismatches": len(field_misses),
                 "dilated_configurations": len(dilated),
                 "depthwise_count_mismatches": depthwise_misses},
        checks=[
            Check.equal("output sizes that differ from the closed-form formulas (valid, full, "
                        "same, strided, dilated, depthwise, general conv, max/avg pool)",
                        len(shape_misses), 0,
                        detail=f"{cfg.configurations} configurations x 8 layers "
                               "(+ conv_output_size)"),
            Check.at_most("valid/full/same outputs: largest |difference| from "
                          "scipy.signal.correlate2d", worst, 1e-5,
                          detail=", ".join(f"{m} {e:.1e}" for m, e in errors.items())),
            Check.equal("kernels whose receptive field (input-gradient extent) is not d(k-1)+1",
                        len(field_misses), 0, detail=f"of {len(fields)}"),
            Check.at_least("of them dilated (d > 1)", len(dilated), 1),
            Check.equal("depthwise layers whose parameter count is not C k^2 (+C)",
                        depthwise_misses, 0, detail=f"of {2 * cfg.configurations}"),
        ],
        notes=[f"{cfg.configurations} random configurations (the criterion: 200)"],
        figures={"receptive_fields": receptive_field_figure(run.seed)},
        headline=("shape_mismatches", "max_abs_error_worst", "receptive_field_mismatches"),
    )


@dataclass(frozen=True)
class Configuration:
    h: int  # input height
    w: int  # input width
    k: int  # kernel size
    s: int  # stride
    p: int  # padding of the general convolution
    d: int  # dilation
    c_in: int  # input channels
    c_out: int  # output channels

    @property
    def k_odd(self) -> int:
        """The kernel size the 'same' variants use: k, or k + 1 when k is even."""
        return self.k | 1


def draw(rng: np.random.Generator, cfg: ConvVariantsConfig) -> Configuration:
    k, d = int(rng.integers(1, cfg.max_kernel + 1)), int(rng.integers(1, cfg.max_dilation + 1))
    smallest = receptive_field(k | 1, d)
    h, w = (smallest + int(rng.integers(0, cfg.max_extra_size + 1)) for _ in range(2))
    return Configuration(h=h, w=w, k=k, s=int(rng.integers(1, cfg.max_stride + 1)),
                         p=int(rng.integers(0, k)), d=d,
                         c_in=int(rng.integers(1, cfg.max_channels + 1)),
                         c_out=int(rng.integers(1, cfg.max_channels + 1)))


def dilate_kernel(w: np.ndarray, d: int) -> np.ndarray:
    """(..., k, k) kernel with d-1 zeros between taps: (..., d(k-1)+1, d(k-1)+1)."""
    k = w.shape[-1]
    out = np.zeros((*w.shape[:-2], receptive_field(k, d), receptive_field(k, d)))
    out[..., ::d, ::d] = w
    return out


def scipy_conv(x: np.ndarray, conv: nn.Conv2d, mode: str) -> np.ndarray:
    """What `conv` computes, as sums of scipy correlations of each input with each kernel."""
    w = dilate_kernel(conv.weight.detach().double().numpy(), conv.dilation[0])
    per_group = conv.in_channels // conv.groups
    out = []
    for o in range(conv.out_channels):
        group = o // (conv.out_channels // conv.groups)
        channels = range(group * per_group, (group + 1) * per_group)
        out.append(sum(correlate2d(x[c], w[o, c - group * per_group], mode=mode)
                       for c in channels) + (0.0 if conv.bias is None else conv.bias[o].item()))
    return np.stack(out)[:, :: conv.stride[0], :: conv.stride[1]]


def shapes_and_values(c: Configuration, x: torch.Tensor
                      ) -> tuple[list[tuple[str, tuple, tuple]], dict[str, float]]:
    """Output shapes (variant, torch's, closed form) and max |torch - scipy| per scipy mode."""
    h, w, ko, d, s = c.h, c.w, c.k_odd, c.d, c.s
    convs = {
        "valid": (valid_conv(c.c_in, c.c_out, c.k, dilation=d), "valid",
                  (h - d * (c.k - 1), w - d * (c.k - 1))),
        "full": (full_conv(c.c_in, c.c_out, c.k, dilation=d), "full",
                 (h + d * (c.k - 1), w + d * (c.k - 1))),
        "same": (same_conv(c.c_in, c.c_out, ko, dilation=d), "same", (h, w)),
        "strided": (strided_conv(c.c_in, c.c_out, ko, stride=max(s, 2)), "same",
                    (math.ceil(h / max(s, 2)), math.ceil(w / max(s, 2)))),
        "depthwise": (depthwise_conv(c.c_in, ko, dilation=d), "same", (h, w)),
    }
    shapes, errors = [], {}
    x_np = x[0].double().numpy()
    with torch.no_grad():
        for name, (conv, mode, closed) in convs.items():
            out = conv(x)
            shapes.append((name, tuple(out.shape[-2:]), closed))
            error = np.abs(out[0].double().numpy() - scipy_conv(x_np, conv, mode)).max()
            errors[mode] = max(errors.get(mode, 0.0), float(error))
        general = nn.Conv2d(c.c_in, c.c_out, c.k, stride=s, padding=c.p, dilation=d)
        closed = general_size(c, c.k, c.p, d)
        shapes.append(("general", tuple(general(x).shape[-2:]), closed))
        shapes.append(("conv_output_size", tuple(conv_output_size(n, c.k, s, c.p, d)
                                                 for n in (h, w)), closed))
        pool_p = c.p // 2  # torch allows pooling padding up to half the window
        for pool in (nn.MaxPool2d(c.k, stride=s, padding=pool_p),
                     nn.AvgPool2d(c.k, stride=s, padding=pool_p)):
            shapes.append((type(pool).__name__, tuple(pool(x).shape[-2:]),
                           general_size(c, c.k, pool_p, 1)))
    return shapes, errors


def general_size(c: Configuration, k: int, p: int, d: int) -> tuple[int, int]:
    """floor((n + 2p - d(k-1) - 1) / s) + 1 along height and width."""
    return tuple((n + 2 * p - d * (k - 1) - 1) // c.s + 1 for n in (c.h, c.w))


def gradient_support(k: int, d: int, *, seed: int) -> np.ndarray:
    """|d y[0, 0] / d x| of a random single-channel valid conv, over a 2 d(k-1)+1 square."""
    torch.manual_seed(seed)
    conv = valid_conv(1, 1, k, dilation=d)
    side = 2 * receptive_field(k, d) + 1
    x = torch.randn(1, 1, side, side, requires_grad=True)
    conv(x)[0, 0, 0, 0].backward()
    return x.grad[0, 0].abs().numpy()


def extent(grad: np.ndarray) -> int:
    """Rows spanned by the non-zero entries (first to last, inclusive)."""
    rows = np.flatnonzero(grad.any(axis=1))
    return int(rows[-1] - rows[0] + 1)


def depthwise_counts(c: Configuration) -> tuple[int, int, int, int]:
    """(params with bias, C k^2 + C, params without bias, C k^2) of a depthwise conv."""
    k, ch = c.k_odd, c.c_in
    counts = [sum(p.numel() for p in depthwise_conv(ch, k, bias=b).parameters())
              for b in (True, False)]
    return counts[0], ch * k * k + ch, counts[1], ch * k * k


def receptive_field_figure(seed: int) -> Figure:
    """Input-gradient support of one output pixel for 3x3 kernels at dilations 1-3 and a 5x5."""
    cases = [(3, 1), (3, 2), (3, 3), (5, 1)]
    fig = Figure(figsize=(11, 3.6))
    for ax, (k, d) in zip(fig.subplots(1, len(cases)), cases, strict=True):
        grad = gradient_support(k, d, seed=seed)
        ax.imshow(grad > 0, cmap="Greys", vmin=0, vmax=1)
        ax.set_title(f"k={k}, d={d}\nfield {extent(grad)} = d(k-1)+1")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("non-zero input gradient of output pixel (0, 0)")
    return fig
