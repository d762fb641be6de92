"""MnasNet, lecture 3 ("architecture search": a mobile net found by reinforcement learning).

Tan et al. 2019, "MnasNet: Platform-Aware Neural Architecture Search for Mobile". Deliberate
departure: this is the B1 variant that torchvision implements (its `mnasnet1_0`, 4.4M
parameters), which has no squeeze-excitation; the paper's headline MnasNet-A1 (Fig. 7, 3.9M)
has SE in some stages. Layout: 3x3/2 conv to 32 channels, a separable conv to 16 (an inverted
residual with t=1), six MBConv stages (t, k, s, c, n), 1x1 conv to 1280, ReLU throughout,
batch-norm momentum 1 - 0.9997 as in the TensorFlow reference.
"""

from __future__ import annotations

from functools import partial

from torch import nn

from lecturelab.models.mobilenet import InvertedResidualNet, Stage
from lecturelab.registry import register_model

MNASNET_B1_STAGES = (
    Stage(1, 3, 1, 16, 1), Stage(3, 3, 2, 24, 3), Stage(3, 5, 2, 40, 3), Stage(6, 5, 2, 80, 3),
    Stage(6, 3, 1, 96, 2), Stage(6, 5, 2, 192, 4), Stage(6, 3, 1, 320, 1),
)


@register_model
def mnasnet1_0(**kw) -> InvertedResidualNet:
    """MnasNet-B1, depth multiplier 1.0."""
    return InvertedResidualNet(MNASNET_B1_STAGES, activation=nn.ReLU,
                               norm=partial(nn.BatchNorm2d, momentum=1 - 0.9997), **kw)
