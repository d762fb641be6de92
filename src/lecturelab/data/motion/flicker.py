"""`motion` kind "flicker": static `shapes` scenes with fresh Gaussian noise in every frame."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lecturelab.data.shapes import ShapesDataset


@dataclass(frozen=True)
class FlickerConfig:
    size: int = 32  # frame side in pixels
    frames: int = 8  # frames per video
    noise: float = 40.0  # standard deviation of the per-frame Gaussian noise, in 0-255 units


def render_flicker(cfg: FlickerConfig, scenes: ShapesDataset, i: int, rng: np.random.Generator
                   ) -> dict[str, Tensor]:
    """"frames" uint8 (T, 3, H, W): scene i repeated with fresh noise; "semantic" (H, W)."""
    scene = scenes[i]
    image = scene.image.numpy().astype(np.float64)
    noisy = image[None] + cfg.noise * rng.standard_normal((cfg.frames, *image.shape))
    return {"frames": torch.from_numpy(np.clip(np.round(noisy), 0, 255).astype(np.uint8)),
            "semantic": scene.semantic}
