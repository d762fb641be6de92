"""l3.squeeze_excitation - SE features incorporate global context (lecture 3).

Hu et al. 2018, "Squeeze-and-Excitation Networks", Sec. 3 and Fig. 3 (SE-ResNet module): the
block is the ResNet bottleneck (1x1 -> 3x3 -> 1x1, identity shortcut) whose only spatial
operation is one 3x3 conv, so without SE an output pixel sees the 3x3 window around it; the
squeeze (global average pool) makes every output pixel depend on every input pixel. Measured by
the input gradient of one output pixel (sum over its channels) of the same randomly initialised
block with and without SE, in eval mode (batch-norm statistics fixed, so that they do not
mix pixels themselves).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.nn.blocks import Bottleneck


@dataclass(frozen=True)
class SqueezeExcitationConfig:
    channels: int = 64  # bottleneck width; the block maps 4 x channels to 4 x channels
    reduction: int = 16  # SE reduction ratio r (Hu et al. 2018, Sec. 6.1)
    image_size: int = 16  # input height = width
    pixel: tuple[int, int] = (5, 9)  # the output pixel whose input gradient is measured


@experiment(
    "l3.squeeze_excitation", lecture=3,
    claim="SE: features incorporate global context",
    criterion="the input gradient of one output pixel of an SE block is non-zero at pixels "
              "outside the 3x3 conv receptive field; for the same block without SE it is zero "
              "there",
    quick=SqueezeExcitationConfig(), full=SqueezeExcitationConfig(image_size=56),
    smoke=SqueezeExcitationConfig(channels=16, reduction=4, image_size=8, pixel=(3, 4)))
def squeeze_excitation(cfg: SqueezeExcitationConfig, run: Run) -> Result:
    width = 4 * cfg.channels
    torch.manual_seed(run.seed)
    x = torch.randn(1, width, cfg.image_size, cfg.image_size)
    grads = {}
    for name, reduction in (("with SE", cfg.reduction), ("without SE", 0)):
        torch.manual_seed(run.seed)
        block = Bottleneck(width, cfg.channels, se_reduction=reduction).eval()
        grads[name] = input_gradient(block, x, cfg.pixel)
    outside = {name: outside_window(g, cfg.pixel) for name, g in grads.items()}
    nonzero = {name: float((o != 0).mean()) for name, o in outside.items()}
    largest = {name: float(o.max()) for name, o in outside.items()}
    run.log(f"outside the 3x3 window: non-zero fraction {nonzero}, largest |grad| {largest}")
    return Result(
        metrics={"nonzero_fraction_outside": nonzero, "max_abs_grad_outside": largest,
                 "outside_pixels": int(outside["with SE"].size)},
        checks=[
            Check.equal("with SE: fraction of pixels outside the 3x3 receptive field where the "
                        "input gradient of one output pixel is non-zero", nonzero["with SE"], 1.0,
                        detail=f"of {outside['with SE'].size} outside pixels, largest "
                               f"{largest['with SE']:.1e}"),
            Check.equal("without SE: largest |input gradient| there", largest["without SE"], 0.0),
        ],
        figures={"input_gradients": gradients_figure(grads, cfg.pixel)},
        headline=("nonzero_fraction_outside",),
    )


def input_gradient(block: torch.nn.Module, x: torch.Tensor, pixel: tuple[int, int]
                   ) -> np.ndarray:
    """|d (sum over channels of block(x)[0, :, pixel]) / d x| summed over channels, (H, W)."""
    x = x.clone().requires_grad_(True)
    block(x)[0, :, pixel[0], pixel[1]].sum().backward()
    return x.grad[0].abs().sum(0).numpy()


def outside_window(grad: np.ndarray, pixel: tuple[int, int]) -> np.ndarray:
    """The gradient entries outside the 3x3 window centred on `pixel`, flattened."""
    mask = np.ones_like(grad, dtype=bool)
    mask[max(pixel[0] - 1, 0): pixel[0] + 2, max(pixel[1] - 1, 0): pixel[1] + 2] = False
    return grad[mask]


def gradients_figure(grads: dict[str, np.ndarray], pixel: tuple[int, int]) -> Figure:
    fig = Figure(figsize=(8, 4))
    floor = min(g[g > 0].min() for g in grads.values())
    for ax, (name, grad) in zip(fig.subplots(1, 2), grads.items(), strict=True):
        image = ax.imshow(np.log10(np.maximum(grad, floor / 10)), cmap="magma")
        ax.add_patch(Rectangle((pixel[1] - 1.5, pixel[0] - 1.5), 3, 3, fill=False,
                               edgecolor="lime", lw=2))
        ax.set_title(f"bottleneck block {name}")
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(image, ax=ax, fraction=0.046, label="log10 |input gradient|")
    fig.suptitle(f"one output pixel {pixel}; green: the 3x3 conv's receptive field")
    return fig
