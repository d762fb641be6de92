"""`motion` kind "camouflage": an object cut from the background's own noise statistics,
visible only through its motion."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lecturelab.data.shapes import CLASSES, _inside


@dataclass(frozen=True)
class CamouflageConfig:
    size: int = 48  # frame side in pixels
    frames: int = 2  # frames per video
    min_scale: float = 0.35  # smallest object diameter, fraction of the side
    max_scale: float = 0.6  # largest object diameter, fraction of the side
    min_shift: int = 2  # fewest whole pixels the object moves per frame (the larger axis)
    max_shift: int = 5  # most whole pixels the object moves per frame (the larger axis)


def render_camouflage(cfg: CamouflageConfig, rng: np.random.Generator) -> dict[str, Tensor]:
    """"frames" uint8 (T, 3, H, W) and "masks" bool (T, H, W): a static pixel-noise background
    and an object cut from another draw of the same noise, translating by whole pixels."""
    s = cfg.size
    background = rng.integers(0, 256, (s, s, 3))
    skin = rng.integers(0, 256, (s, s, 3))  # the object's texture: the same statistics
    shape = str(rng.choice(CLASSES))
    radius = rng.uniform(cfg.min_scale, cfg.max_scale) * s / 2
    angle = rng.uniform(0, 2 * np.pi)
    step = np.zeros(2, dtype=np.int64)
    while np.abs(step).max() < cfg.min_shift:
        step = rng.integers(-cfg.max_shift, cfg.max_shift + 1, 2)
    middle = rng.integers(s // 3, s - s // 3 + 1, 2)
    start = middle - step * (cfg.frames - 1) // 2  # the path is centred on the frame
    yy, xx = np.mgrid[0:s, 0:s]
    frames, masks = [], []
    for t in range(cfg.frames):
        cx, cy = start + t * step  # whole pixels: the texture moves exactly with the object
        mask = _inside(shape, xx - cx + 0.0, yy - cy + 0.0, radius, angle)
        image = np.where(mask[..., None], skin[(yy - cy) % s, (xx - cx) % s], background)
        frames.append(image.astype(np.uint8).transpose(2, 0, 1))
        masks.append(mask)
    return {"frames": torch.from_numpy(np.stack(frames)),
            "masks": torch.from_numpy(np.stack(masks))}
