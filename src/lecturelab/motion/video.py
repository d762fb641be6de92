"""3-D ResNets for video (lecture 4, "3-D convolutions: the kernel moves in space and time").

Tran et al. 2018, "A closer look at spatiotemporal convolutions for action recognition": the
ResNet-18 layout (He et al. 2016) with every convolution a space-time one. A stage's
convolutions are one of
  "3d"    full 3x3x3 kernels (R3D);
  "2d"    1x3x3 kernels, frame by frame (the 2-D stages of MC3, mixed convolutions);
  "2+1d"  a 1x3x3 spatial convolution, batch norm and ReLU, then a 3x1x1 temporal one, with
          M_i = floor(t d^2 N_{i-1} N_i / (d^2 N_{i-1} + t N_i)) channels in between, so the
          pair has the parameters of one 3x3x3 kernel (Sec. 3.5, Eq. 1).
r3d_18, mc3_18 (3-D stem and first stage, 2-D after: MC3 of Sec. 3.2) and r2plus1d_18 match
torchvision.models.video exactly in parameters, and `from_torchvision` loads their weights.
With conv="2d" everywhere and a 2-D stem the same class is a frame-wise 2-D CNN whose
features are averaged over frames: the baseline that cannot see motion.
Input: clips (B, C, T, H, W).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import torch
from torch import Tensor, nn

KINDS = ("3d", "2d", "2+1d")


class Factorised(nn.Module):
    """(2+1)-D convolution: spatial 1x3x3 (stride 1, s, s), BN, ReLU, temporal 3x1x1 (s, 1, 1)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, mid: int | None = None) -> None:
        super().__init__()
        mid = mid or (cin * cout * 27) // (cin * 9 + 3 * cout)  # Tran et al. 2018, Eq. 1
        self.spatial = nn.Conv3d(cin, mid, (1, 3, 3), (1, stride, stride), (0, 1, 1),
                                 bias=False)
        self.norm = nn.BatchNorm3d(mid)
        self.act = nn.ReLU(inplace=True)
        self.temporal = nn.Conv3d(mid, cout, (3, 1, 1), (stride, 1, 1), (1, 0, 0), bias=False)

    def forward(self, x: Tensor) -> Tensor:
        return self.temporal(self.act(self.norm(self.spatial(x))))


def space_time_conv(kind: str, cin: int, cout: int, stride: int = 1, mid: int | None = None
                    ) -> nn.Module:
    """A 3x3(x3) convolution of one of KINDS, "same" padded; `mid`: the (2+1)-D channels."""
    if kind == "3d":
        return nn.Conv3d(cin, cout, 3, stride, 1, bias=False)
    if kind == "2d":
        return nn.Conv3d(cin, cout, (1, 3, 3), (1, stride, stride), (0, 1, 1), bias=False)
    if kind == "2+1d":
        return Factorised(cin, cout, stride, mid)
    raise ValueError(f"convolution kind must be one of {', '.join(KINDS)}, got {kind!r}")


class VideoBlock(nn.Module):
    """The basic residual block with space-time convolutions; a 1x1x1 projection shortcut
    (with the block's stride, in time too unless the kind is "2d") where shapes change. Both
    (2+1)-D convolutions of a block get the middle width of its first (cin -> cout), as in
    torchvision."""

    def __init__(self, kind: str, cin: int, cout: int, stride: int = 1) -> None:
        super().__init__()
        mid = (cin * cout * 27) // (cin * 9 + 3 * cout)
        self.conv1 = space_time_conv(kind, cin, cout, stride, mid)
        self.bn1 = nn.BatchNorm3d(cout)
        self.conv2 = space_time_conv(kind, cout, cout, mid=mid)
        self.bn2 = nn.BatchNorm3d(cout)
        self.act = nn.ReLU(inplace=True)
        self.shortcut: nn.Module = nn.Identity()
        if stride != 1 or cin != cout:
            t = 1 if kind == "2d" else stride
            self.shortcut = nn.Sequential(
                nn.Conv3d(cin, cout, 1, (t, stride, stride), bias=False), nn.BatchNorm3d(cout))

    def forward(self, x: Tensor) -> Tensor:
        y = self.act(self.bn1(self.conv1(x)))
        return self.act(self.bn2(self.conv2(y)) + self.shortcut(x))


def stem(kind: str, in_chans: int, width: int) -> nn.Sequential:
    """3x7x7 (or 1x7x7 for "2d") stride (1, 2, 2); for "2+1d" 1x7x7 to 45 channels then 3x1x1."""
    if kind == "2+1d":
        return nn.Sequential(
            nn.Conv3d(in_chans, 45, (1, 7, 7), (1, 2, 2), (0, 3, 3), bias=False),
            nn.BatchNorm3d(45), nn.ReLU(inplace=True),
            nn.Conv3d(45, width, (3, 1, 1), 1, (1, 0, 0), bias=False),
            nn.BatchNorm3d(width), nn.ReLU(inplace=True))
    if kind not in KINDS:
        raise ValueError(f"stem kind must be one of {', '.join(KINDS)}, got {kind!r}")
    t = 3 if kind == "3d" else 1
    return nn.Sequential(
        nn.Conv3d(in_chans, width, (t, 7, 7), (1, 2, 2), (t // 2, 3, 3), bias=False),
        nn.BatchNorm3d(width), nn.ReLU(inplace=True))


class VideoResNet(nn.Module):
    """Stem -> stages of `VideoBlock`s (the first at stride 1, the rest at 2) -> global
    space-time average pool -> fc. `convs` gives each stage's kind (one string: all)."""

    def __init__(self, convs: str | Sequence[str] = "3d", *, stem_kind: str | None = None,
                 layers: Sequence[int] = (2, 2, 2, 2), widths: Sequence[int] = (64, 128, 256, 512),
                 num_classes: int = 400, in_chans: int = 3) -> None:
        super().__init__()
        kinds = [convs] * len(layers) if isinstance(convs, str) else list(convs)
        if len(kinds) != len(layers) or len(widths) != len(layers):
            raise ValueError(f"need one conv kind and width per stage: {len(layers)} stages, "
                             f"{len(kinds)} kinds, {len(widths)} widths")
        self.in_chans, self.num_classes = in_chans, num_classes
        self.default_input_size = (in_chans, 4, 32, 32)  # (C, T, H, W) for the generic test
        self.stem = stem(stem_kind or kinds[0], in_chans, widths[0])
        stages, cin = [], widths[0]
        for i, (kind, n, width) in enumerate(zip(kinds, layers, widths, strict=True)):
            blocks = [VideoBlock(kind, cin if j == 0 else width, width,
                                 2 if i > 0 and j == 0 else 1) for j in range(n)]
            stages.append(nn.Sequential(*blocks))
            cin = width
        self.stages = nn.Sequential(*stages)
        self.fc = nn.Linear(cin, num_classes)
        self._init()

    def _init(self) -> None:
        for m in self.modules():
            if isinstance(m, nn.Conv3d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm3d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward_features(self, x: Tensor) -> Tensor:
        if x.ndim != 5 or x.shape[1] != self.in_chans:
            raise ValueError(f"clips must be (B, {self.in_chans}, T, H, W), got {tuple(x.shape)}")
        return self.stages(self.stem(x))

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.forward_features(x).mean((2, 3, 4)))  # (B, num_classes)

    def reset_classifier(self, num_classes: int) -> None:
        self.num_classes = num_classes
        self.fc = nn.Linear(self.fc.in_features, num_classes)


def r3d_18(**kw) -> VideoResNet:
    """R3D-18 (Tran et al. 2018, Sec. 3.1; torchvision's r3d_18)."""
    return VideoResNet("3d", **kw)


def mc3_18(**kw) -> VideoResNet:
    """MC3-18: 3-D stem and first stage, 2-D after (Tran et al. 2018, Sec. 3.2)."""
    return VideoResNet(("3d", "2d", "2d", "2d"), **kw)


def r2plus1d_18(**kw) -> VideoResNet:
    """R(2+1)D-18 (Tran et al. 2018, Sec. 3.5)."""
    return VideoResNet("2+1d", **kw)


_TV_NAMES = [  # torchvision key -> ours, applied in order
    (r"^layer(\d)", lambda m: f"stages.{int(m.group(1)) - 1}"),
    (r"\.conv(\d)\.0\.0\.", r".conv\1.spatial."),
    (r"\.conv(\d)\.0\.1\.", r".conv\1.norm."),
    (r"\.conv(\d)\.0\.3\.", r".conv\1.temporal."),
    (r"\.conv(\d)\.0\.", r".conv\1."),
    (r"\.conv(\d)\.1\.", r".bn\1."),
    (r"\.downsample\.", ".shortcut."),
]


def from_torchvision(model: VideoResNet, tv_model: nn.Module) -> VideoResNet:
    """Load a torchvision.models.video ResNet's parameters and buffers into `model` (same
    architecture); strict: every tensor is used once with its shape, or a ValueError."""
    state = {}
    for key, value in tv_model.state_dict().items():
        for pattern, repl in _TV_NAMES:
            key = re.sub(pattern, repl, key)
        state[key] = value
    ours = model.state_dict()
    missing, extra = sorted(set(ours) - set(state)), sorted(set(state) - set(ours))
    wrong = [k for k in set(ours) & set(state) if ours[k].shape != state[k].shape]
    if missing or extra or wrong:
        raise ValueError(f"torchvision model does not match: missing {missing[:3]}, "
                         f"unexpected {extra[:3]}, shapes differ at {sorted(wrong)[:3]}")
    with torch.no_grad():
        model.load_state_dict(state)
    return model
