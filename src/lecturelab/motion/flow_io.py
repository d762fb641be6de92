"""Optical flow on disk and on screen: the Middlebury `.flo` format and the colour wheel.

Both follow Baker et al. 2011, "A database and evaluation methodology for optical flow" (IJCV):
a `.flo` file is the float32 tag 202021.25 ("PIEH"), int32 width and height, then (u, v) per
pixel, row by row, all little-endian - the format of Middlebury, Sintel and Flying Chairs, so
their flows load into the same pipeline. The colour wheel shows direction as hue and magnitude
as saturation, through six ramps of 15, 6, 4, 11, 13 and 6 colours (red-yellow, yellow-green,
green-cyan, cyan-blue, blue-magenta, magenta-red), as in torchvision.utils.flow_to_image.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from lecturelab.io import atomic_write

FLO_TAG = 202021.25
RAMPS = ((15, 0, 1), (6, 1, 0), (4, 1, 2), (11, 2, 1), (13, 2, 0), (6, 0, 2))  # (colours,
# the channel that stays at 255, the channel that ramps: up when it follows, down otherwise)


def write_flo(path: str | Path, flow: Tensor) -> Path:
    """Write a (2, H, W) flow as a `.flo` file (atomically)."""
    if flow.ndim != 3 or flow.shape[0] != 2:
        raise ValueError(f"flow must be (2, H, W), got {tuple(flow.shape)}")
    h, w = flow.shape[1:]
    header = np.array([FLO_TAG], "<f4").tobytes() + np.array([w, h], "<i4").tobytes()
    body = flow.detach().cpu().numpy().transpose(1, 2, 0).astype("<f4").tobytes()  # (H, W, 2)
    return atomic_write(path, lambda tmp: tmp.write_bytes(header + body))


def read_flo(path: str | Path) -> Tensor:
    """A `.flo` file as a float32 (2, H, W) tensor; a clear ValueError if it is not one."""
    data = Path(path).read_bytes()
    if len(data) < 12 or np.frombuffer(data[:4], "<f4")[0] != FLO_TAG:
        raise ValueError(f"{path}: not a .flo file (the first 4 bytes must be the float "
                         f"{FLO_TAG}, 'PIEH')")
    w, h = (int(v) for v in np.frombuffer(data[4:12], "<i4"))
    if w <= 0 or h <= 0 or len(data) != 12 + 8 * w * h:
        raise ValueError(f"{path}: a {w}x{h} .flo file needs {12 + 8 * max(w * h, 0)} bytes, "
                         f"has {len(data)}")
    flow = np.frombuffer(data[12:], "<f4").reshape(h, w, 2)
    return torch.from_numpy(flow.transpose(2, 0, 1).copy())


def colour_wheel() -> Tensor:
    """The 55 colours of the wheel, float (55, 3) in 0-255, going round from red."""
    rows = []
    for n, full, ramp in RAMPS:
        step = torch.floor(255 * torch.arange(n) / n)
        block = torch.zeros(n, 3)
        block[:, full] = 255
        rising = ramp == (full + 1) % 3
        block[:, ramp] = step if rising else 255 - step
        rows.append(block)
    return torch.cat(rows)


def flow_to_colour(flow: Tensor, max_magnitude: float | None = None) -> Tensor:
    """uint8 (..., 3, H, W) colours of a (..., 2, H, W) flow. Magnitudes are divided by
    `max_magnitude` (default: the largest in `flow`), so the brightest colour is the fastest."""
    if flow.ndim < 3 or flow.shape[-3] != 2:
        raise ValueError(f"flow must be (..., 2, H, W), got {tuple(flow.shape)}")
    u, v = flow.float().unbind(-3)
    magnitude = torch.sqrt(u**2 + v**2)
    scale = float(magnitude.max()) if max_magnitude is None else max_magnitude
    magnitude = magnitude / (scale + torch.finfo(torch.float32).eps)
    wheel = colour_wheel().to(flow.device)
    n = len(wheel)
    position = (torch.atan2(-v, -u) / torch.pi + 1) / 2 * (n - 1)  # in [0, n - 1]
    k0 = position.floor().long()
    frac = (position - k0)[..., None]
    mixed = (1 - frac) * wheel[k0] + frac * wheel[(k0 + 1) % n]  # (..., H, W, 3)
    colour = 255 - magnitude[..., None] * (255 - mixed)  # desaturate towards white when slow
    return torch.floor(colour).clamp(0, 255).to(torch.uint8).movedim(-1, -3)
