"""SlowFast networks (Feichtenhofer et al. 2019, "SlowFast networks for video recognition").

Two pathways on one clip (Sec. 3): the Slow pathway sees every alpha-th frame with many
channels (semantics: what is there); the Fast pathway sees every frame with beta times the
channels (motion: how it moves), keeping its temporal resolution (no temporal striding).
Lateral connections carry Fast features into the Slow pathway after the stem and each stage
but the last, through a time-strided convolution (stride alpha, Sec. 3.4 "Lateral
connections", option (iii)); the two pooled feature vectors are concatenated for the
classifier. Slow uses temporal kernels only in its later stages (Table 1: "non-degenerate
temporal convolutions" from res4), Fast everywhere.

Departures, sized for small clips on a CPU: three plain stages of two convolutions (the paper:
ResNet-50 stages), a 1x1x1 lateral kernel whose output is added to the Slow features rather
than concatenated (so the Slow pathway keeps its width and the Fast pathway costs beta^2 alpha
of it, about 1/16 with beta = 1/8, alpha = 4, instead of about 45% with concatenation).
`fast=False` gives the Slow-only baseline (Sec. 4.1, Table 2).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode


def conv_bn(cin: int, cout: int, kernel: tuple[int, int, int], stride: int = 1) -> nn.Sequential:
    pad = tuple(k // 2 for k in kernel)
    return nn.Sequential(nn.Conv3d(cin, cout, kernel, (1, stride, stride), pad, bias=False),
                         nn.BatchNorm3d(cout), nn.ReLU(inplace=True))


class Pathway(nn.Module):
    """A stem (k_t x 5 x 5, spatial stride 2) and stages of two convolutions (the first with
    spatial stride 2 from the second stage on); `time_kernels` = (stem, stage 1, 2, ...)."""

    def __init__(self, in_chans: int, widths: Sequence[int], time_kernels: Sequence[int]) -> None:
        super().__init__()
        self.stem = conv_bn(in_chans, widths[0], (time_kernels[0], 5, 5), 2)
        self.stages = nn.ModuleList()
        cin = widths[0]
        for i, (width, kt) in enumerate(zip(widths, time_kernels[1:], strict=True)):
            self.stages.append(nn.Sequential(conv_bn(cin, width, (kt, 3, 3), 2 if i else 1),
                                             conv_bn(width, width, (kt, 3, 3))))
            cin = width


class SlowFast(nn.Module):
    """`forward(clip)` for clips (B, C, T, H, W) with T a multiple of `alpha`."""

    def __init__(self, num_classes: int, *, alpha: int = 4, beta: float = 1 / 8,
                 widths: Sequence[int] = (32, 64, 128), fast: bool = True,
                 in_chans: int = 3) -> None:
        super().__init__()
        self.alpha, self.num_classes, self.in_chans = alpha, num_classes, in_chans
        n = len(widths)
        self.slow = Pathway(in_chans, widths, (1, *[1] * (n - 2), *[3] * min(2, n))[:n + 1])
        self.fast: Pathway | None = None
        self.laterals = nn.ModuleList()
        out = widths[-1]
        if fast:
            fast_widths = [max(1, round(beta * w)) for w in widths]
            self.fast = Pathway(in_chans, fast_widths, (5, *[3] * n))
            before = [0, *range(n - 2)]  # the stage whose output width enters lateral i
            self.laterals.extend(nn.Conv3d(fast_widths[j], widths[j], 1, (alpha, 1, 1),
                                           bias=False) for j in before)
            out += fast_widths[-1]
        self.fc = nn.Linear(out, num_classes)

    def forward_features(self, clip: Tensor) -> tuple[Tensor, Tensor | None]:
        if clip.ndim != 5 or clip.shape[2] % self.alpha:
            raise ValueError(f"clips must be (B, C, T, H, W) with T a multiple of alpha="
                             f"{self.alpha}, got {tuple(clip.shape)}")
        s = self.slow.stem(clip[:, :, ::self.alpha])  # (B, C, T / alpha, H/2, W/2)
        if self.fast is None:
            for stage in self.slow.stages:
                s = stage(s)
            return s, None
        f = self.fast.stem(clip)  # (B, beta C, T, H/2, W/2)
        for i, (slow_stage, fast_stage) in enumerate(zip(self.slow.stages, self.fast.stages,
                                                         strict=True)):
            if i < len(self.laterals):
                s = s + self.laterals[i](f)  # time-strided lateral connection, fast -> slow
            s, f = slow_stage(s), fast_stage(f)
        return s, f

    def forward(self, clip: Tensor) -> Tensor:
        s, f = self.forward_features(clip)
        pooled = [s.mean((2, 3, 4))] + ([] if f is None else [f.mean((2, 3, 4))])
        return self.fc(torch.cat(pooled, 1))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.fc.in_features, num_classes)


def count_macs(model: nn.Module, input_size: Sequence[int]) -> int:
    """Multiply-adds of one forward pass on one input of `input_size` (no batch dimension), as
    models/complexity.py counts them: FlopCounterMode's FLOPs / 2, convolutions and matrix
    products only."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *input_size, device=device))
    model.train(was_training)
    return counter.get_total_flops() // 2
