"""`motion` kinds "actions" and "slowfast": one object on a torus (it wraps around the edges),
whose motion is the class (actions) or half of it (slowfast: shape and vibration)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

from lecturelab.data.motion.textures import Gratings
from lecturelab.data.shapes import _grid, _inside

ACTIONS = ("right", "left", "down", "up", "clockwise", "anticlockwise")
POLYGONS = ("square", "triangle", "star", "hexagon")
SLOWFAST_SHAPES = ("square", "triangle", "star")


@dataclass(frozen=True)
class VideoConfig:
    size: int = 32  # frame side in pixels
    frames: int = 8  # frames per video
    min_scale: float = 0.35  # smallest object diameter, fraction of the side
    max_scale: float = 0.55  # largest object diameter, fraction of the side
    speed: tuple[float, float] = (1.5, 2.5)  # translation, pixels per frame
    spin: tuple[float, float] = (0.2, 0.35)  # rotation, radians per frame
    drift: float = 0.5  # slowfast: slow translation of every object, pixels per frame
    vibration: float = 2.0  # slowfast: amplitude of the vibration, pixels
    stride: int = 4  # slowfast: the slow pathway's frame stride = the vibration's period


def _torus_frame(shape: str, centre: np.ndarray, angle: float, radius: float, stripes: Gratings,
                 background: np.ndarray, size: int) -> np.ndarray:
    """An object drawn on a torus: offsets wrap around the edges. Returns uint8 (3, H, W)."""
    yy, xx = _grid(size)
    dx = (xx - centre[0] + size / 2) % size - size / 2
    dy = (yy - centre[1] + size / 2) % size - size / 2
    u, v = np.cos(angle) * dx + np.sin(angle) * dy, -np.sin(angle) * dx + np.cos(angle) * dy
    inside = _inside(shape, u, v, radius, 0.0)
    image = background.copy()
    image[inside] = stripes(u[inside], v[inside])
    return np.clip(np.round(image), 0, 255).astype(np.uint8).transpose(2, 0, 1)


def _torus_scene(cfg: VideoConfig, rng: np.random.Generator, shape: str
                 ) -> tuple[float, np.ndarray, float, Gratings, np.ndarray]:
    yy, xx = _grid(cfg.size)
    back = Gratings(rng)
    background = back(xx, yy) * 0.5  # a dim static texture
    radius = rng.uniform(cfg.min_scale, cfg.max_scale) * cfg.size / 2
    stripes = Gratings(rng, against=back.mean_colour * 0.5, n=1)
    return radius, rng.uniform(0, cfg.size, 2), rng.uniform(0, 2 * np.pi), stripes, background


def render_action(cfg: VideoConfig, rng: np.random.Generator, action: int) -> Tensor:
    """uint8 (T, 3, H, W): a striped polygon doing ACTIONS[action] on a textured torus."""
    shape = str(rng.choice(POLYGONS))
    radius, centre, angle, stripes, background = _torus_scene(cfg, rng, shape)
    direction = {0: (1, 0), 1: (-1, 0), 2: (0, 1), 3: (0, -1)}.get(action, (0, 0))
    velocity = rng.uniform(*cfg.speed) * np.array(direction, dtype=np.float64)
    spin = rng.uniform(*cfg.spin) * {4: 1, 5: -1}.get(action, 0)
    return torch.from_numpy(np.stack([
        _torus_frame(shape, centre + t * velocity, angle + t * spin, radius, stripes,
                     background, cfg.size) for t in range(cfg.frames)]))


def render_slowfast(cfg: VideoConfig, rng: np.random.Generator, shape: int, vibrating: bool
                    ) -> Tensor:
    """uint8 (T, 3, H, W): SLOWFAST_SHAPES[shape] drifting slowly, vibrating with period
    `cfg.stride` frames if `vibrating` (so frames `cfg.stride` apart see the same phase)."""
    name = SLOWFAST_SHAPES[shape]
    radius, centre, angle, paint, background = _torus_scene(cfg, rng, name)
    paint.c2 = paint.c1  # one colour: the outline alone carries the shape
    heading = rng.uniform(0, 2 * np.pi)
    drift = cfg.drift * np.array([np.cos(heading), np.sin(heading)])
    axis = rng.uniform(0, 2 * np.pi)
    phase = rng.uniform(0, 2 * np.pi)
    frames = []
    for t in range(cfg.frames):
        shake = cfg.vibration * np.sin(2 * np.pi * t / cfg.stride + phase) * vibrating
        at = centre + t * drift + shake * np.array([np.cos(axis), np.sin(axis)])
        frames.append(_torus_frame(name, at, angle, radius, paint, background, cfg.size))
    return torch.from_numpy(np.stack(frames))
