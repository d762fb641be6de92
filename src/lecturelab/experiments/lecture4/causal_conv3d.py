"""l4.causal_conv3d - 3-D convolutions are non-causal; masked 3-D convolutions for real time
(lecture 4, "beyond single image input").

A causal 3-D convolution pads time only at the front (motion/causal.py; the masking of WaveNet,
van den Oord et al. 2016, Sec. 2.1, in time). For every frame t, the frames after t of a random
clip are replaced by fresh noise and both convolutions - the causal one and an ordinary
"same"-padded nn.Conv3d with the same weights - are run again: the causal output up to t must
not move at all, the ordinary one must. No training: the property holds for any weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure

from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.models.complexity import count_params
from lecturelab.motion.causal import CausalConv3d


@dataclass(frozen=True)
class CausalConfig:
    frames: int = 16  # frames in the random clip
    size: int = 16  # frame side in pixels
    channels: int = 8  # input and output channels
    time_kernel: int = 3  # kernel length in time (space: 3 x 3)
    dilation: int = 2  # dilation in time (the causal reach is (k - 1) x dilation frames)


def dependence(conv: torch.nn.Module, clip: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """(T, T) matrix: entry [t, s] = largest change of output frame t when frames >= s change."""
    frames = clip.shape[2]
    out = torch.zeros(frames, frames, dtype=torch.float64)
    with torch.no_grad():
        base = conv(clip)
        for s in range(frames):
            changed = clip.clone()
            changed[:, :, s:] = torch.randn(changed[:, :, s:].shape, generator=gen)
            out[:, s] = (conv(changed) - base).abs().amax((0, 1, 3, 4)).double()
    return out


def dependence_figure(maps: dict[str, torch.Tensor]) -> Figure:
    fig = Figure(figsize=(4 * len(maps), 3.6), layout="constrained")
    for ax, (name, m) in zip(fig.subplots(1, len(maps)), maps.items(), strict=True):
        im = ax.imshow((m > 0).float().numpy(), cmap="Greys", vmin=0, vmax=1)
        ax.set_title(name)
        ax.set_xlabel("first changed frame s")
        ax.set_ylabel("output frame t")
        fig.colorbar(im, ax=ax, shrink=0.8, label="output changes")
    fig.suptitle("black: output frame t depends on frames from s on (the future is s > t)")
    return fig


@experiment(
    "l4.causal_conv3d", lecture=4,
    claim="3-D convolutions are non-causal; masked 3-D convolutions for real time",
    criterion="the causal conv's output at time t is exactly unchanged when frames after t "
              "change; an ordinary conv3d's output changes; same parameter count",
    quick=CausalConfig(),
    full=CausalConfig(frames=32, size=56, channels=64),
    smoke=CausalConfig(frames=5, size=8, channels=2))
def causal_conv3d(cfg: CausalConfig, run: Run) -> Result:
    torch.manual_seed(run.seed)
    k, d = cfg.time_kernel, cfg.dilation
    causal = CausalConv3d(cfg.channels, cfg.channels, (k, 3, 3), dilation=(d, 1, 1))
    ordinary = torch.nn.Conv3d(cfg.channels, cfg.channels, (k, 3, 3), padding=(d * (k - 1) // 2,
                               1, 1), dilation=(d, 1, 1))
    ordinary.load_state_dict(causal.state_dict())
    gen = torch.Generator().manual_seed(run.seed)
    clip = torch.randn(1, cfg.channels, cfg.frames, cfg.size, cfg.size, generator=gen)
    maps = {"causal": dependence(causal, clip, gen), "ordinary": dependence(ordinary, clip, gen)}
    future = torch.ones(cfg.frames, cfg.frames).triu(1).bool()  # [t, s] with s > t
    causal_leak = maps["causal"][future].max().item()
    ordinary_leak = maps["ordinary"][future].max().item()
    sees_past = maps["causal"][~future].min().item() if cfg.frames > 1 else 0.0
    params = (count_params(causal), count_params(ordinary))
    run.log(f"largest change from the future: causal {causal_leak:.3g}, ordinary "
            f"{ordinary_leak:.3g}; parameters {params}")
    return Result(
        metrics={"causal_future_change": causal_leak, "ordinary_future_change": ordinary_leak,
                 "causal_smallest_change_from_past": sees_past,
                 "causal_params": params[0], "ordinary_params": params[1]},
        checks=[Check.equal("causal output at t: largest change when frames after t change",
                            causal_leak, 0.0),
                Check.above("ordinary conv3d output at t: largest change when frames after t "
                            "change", ordinary_leak, 0.0),
                Check.equal("parameters: causal minus ordinary", params[0] - params[1], 0)],
        figures={"dependence": dependence_figure(maps)},
        headline=("causal_future_change", "ordinary_future_change"),
        notes=[f"time kernel {k} with dilation {d}: the causal output at t reads frames "
               f"t-{(k - 1) * d}..t"],
    )
