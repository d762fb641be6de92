"""FlowNetS and FlowNetC (Dosovitskiy et al. 2015, "FlowNet: learning optical flow with
convolutional networks", Sec. 3, Fig. 2-3), the end-point error and the multi-scale loss.

FlowNetS ("simple") stacks the two frames into 6 channels for one encoder; FlowNetC
("correlation") runs one shared tower on each frame and compares them with the correlation
layer (motion/correlation.py). Both decode by "refinement": at each scale, an up-convolution of
the coarser features, the encoder's skip features and the upsampled coarser flow are
concatenated, and a 3x3 convolution predicts the flow there. The finest prediction (1/4 of the
input size) is upsampled bilinearly, as in the paper.

Departures, sized for small frames on a CPU: three decoder scales (1/16, 1/8, 1/4) instead of
five, widths set by `width` (the paper: 64 at the first layer), 3x3 kernels after the first two
layers; in FlowNetC the correlation sits at 1/4 resolution (the paper: 1/8, max displacement 20
with stride 2) on a tower whose last layer is linear, uses zero-mean (cosine) correlation, and
its output is also the decoder's skip at 1/4 - without these a small FlowNetC collapsed to a
constant flow. Flows are in pixels of the input frame at every scale (the paper divides by 20).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from lecturelab.motion.correlation import Correlation


def conv(cin: int, cout: int, k: int = 3, stride: int = 1, act: bool = True) -> nn.Sequential:
    """k x k convolution, batch norm and leaky ReLU (slope 0.1, as FlowNet); `act=False`: the
    convolution alone."""
    if not act:
        return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2))
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, k, stride, k // 2, bias=False),
                               nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.LeakyReLU(0.1))
    return nn.Sequential(*layers)


class RefinementDecoder(nn.Module):
    """Flow at 1/16, 1/8 and 1/4 of the input from encoder maps at those scales."""

    def __init__(self, c16: int, c8: int, c4: int, width: int) -> None:
        super().__init__()
        self.predict16 = nn.Conv2d(c16, 2, 3, padding=1)
        self.up16 = nn.Sequential(nn.ConvTranspose2d(c16, 4 * width, 4, 2, 1), nn.LeakyReLU(0.1))
        self.predict8 = nn.Conv2d(c8 + 4 * width + 2, 2, 3, padding=1)
        self.up8 = nn.Sequential(nn.ConvTranspose2d(c8 + 4 * width + 2, 2 * width, 4, 2, 1),
                                 nn.LeakyReLU(0.1))
        self.predict4 = nn.Conv2d(c4 + 2 * width + 2, 2, 3, padding=1)

    def forward(self, x16: Tensor, x8: Tensor, x4: Tensor) -> list[Tensor]:
        flow16 = self.predict16(x16)
        x = torch.cat([x8, self.up16(x16), upsample(flow16, 2)], 1)
        flow8 = self.predict8(x)
        x = torch.cat([x4, self.up8(x), upsample(flow8, 2)], 1)
        return [self.predict4(x), flow8, flow16]


def upsample(flow: Tensor, factor: int) -> Tensor:
    """Bilinear upsampling of a flow in input pixels (the values do not change)."""
    return F.interpolate(flow, scale_factor=factor, mode="bilinear", align_corners=False)


class FlowNet(nn.Module):
    """What both FlowNets share: `forward(frame1, frame2)` -> flows at 1/4, 1/8 and 1/16
    (finest first), `estimate` -> the flow at input resolution. Frames are (B, 3, H, W) in
    [0, 1] with H, W multiples of 16."""

    def encode(self, frame1: Tensor, frame2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        raise NotImplementedError

    def forward(self, frame1: Tensor, frame2: Tensor) -> list[Tensor]:
        if frame1.shape != frame2.shape or frame1.ndim != 4 or frame1.shape[1] != 3 \
                or frame1.shape[-1] % 16 or frame1.shape[-2] % 16:
            raise ValueError(f"frames must be two (B, 3, H, W) of one shape, H and W multiples "
                             f"of 16; got {tuple(frame1.shape)} and {tuple(frame2.shape)}")
        return self.decoder(*self.encode(frame1 - 0.5, frame2 - 0.5))

    def estimate(self, frame1: Tensor, frame2: Tensor) -> Tensor:
        """The flow (B, 2, H, W) from frame1 to frame2 at input resolution."""
        return upsample(self(frame1, frame2)[0], 4)


class FlowNetS(FlowNet):
    """FlowNetSimple: the two frames stacked into 6 channels, one encoder."""

    def __init__(self, width: int = 16) -> None:
        super().__init__()
        w = width
        self.conv1 = conv(6, w, 7, 2)
        self.conv2 = conv(w, 2 * w, 5, 2)
        self.conv3 = nn.Sequential(conv(2 * w, 4 * w, 3, 2), conv(4 * w, 4 * w))
        self.conv4 = nn.Sequential(conv(4 * w, 8 * w, 3, 2), conv(8 * w, 8 * w))
        self.decoder = RefinementDecoder(8 * w, 4 * w, 2 * w, w)

    def encode(self, frame1: Tensor, frame2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        x4 = self.conv2(self.conv1(torch.cat([frame1, frame2], 1)))
        x8 = self.conv3(x4)
        return self.conv4(x8), x8, x4


class FlowNetC(FlowNet):
    """FlowNetCorr: a shared two-layer tower per frame, their correlation (plus a 1x1
    "redirect" of the first frame's features), then the encoder and decoder of FlowNetS."""

    def __init__(self, width: int = 16, max_displacement: int = 2) -> None:
        super().__init__()
        w = width
        self.tower = nn.Sequential(conv(3, w, 7, 2), conv(w, 2 * w, 5, 2, act=False))
        self.correlation = Correlation(max_displacement, normalize=True)
        self.redirect = conv(2 * w, w, 1)
        c4 = self.correlation.out_channels + w
        self.conv3 = nn.Sequential(conv(c4, 4 * w, 3, 2), conv(4 * w, 4 * w))
        self.conv4 = nn.Sequential(conv(4 * w, 8 * w, 3, 2), conv(8 * w, 8 * w))
        self.decoder = RefinementDecoder(8 * w, 4 * w, c4, w)

    def encode(self, frame1: Tensor, frame2: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        both = self.tower(torch.cat([frame1, frame2], 0))  # (2B, 2w, H/4, W/4): shared weights
        f1, f2 = both.chunk(2)
        x4 = torch.cat([F.leaky_relu(self.correlation(f1, f2), 0.1), self.redirect(f1)], 1)
        x8 = self.conv3(x4)
        return self.conv4(x8), x8, x4


def end_point_error(flow: Tensor, target: Tensor, valid: Tensor | None = None) -> Tensor:
    """Mean Euclidean distance between (B, 2, H, W) flows, over `valid` pixels (B, H, W) if
    given: the EPE of Baker et al. 2011 and FlowNet's training loss."""
    if flow.shape != target.shape:
        raise ValueError(f"flow and target must have one shape, got {tuple(flow.shape)} and "
                         f"{tuple(target.shape)}")
    distance = (flow - target).norm(dim=1)  # (B, H, W)
    return distance.mean() if valid is None else distance[valid].mean()


def multiscale_loss(flows: list[Tensor], target: Tensor,
                    weights: tuple[float, ...] = (1.0, 0.5, 0.25)) -> Tensor:
    """FlowNet's training loss: a weighted sum over scales of the EPE against the target flow
    average-pooled to each scale (finest first, as `FlowNet.forward` returns them)."""
    if len(flows) != len(weights):
        raise ValueError(f"need one weight per scale: {len(flows)} flows, {len(weights)} weights")
    total = target.new_zeros(())
    for flow, weight in zip(flows, weights, strict=True):
        factor = target.shape[-1] // flow.shape[-1]
        total = total + weight * end_point_error(flow, F.avg_pool2d(target, factor))
    return total
