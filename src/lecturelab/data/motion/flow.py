"""`motion` kind "flow": textured layers under random affine motion with exact flow and
occlusion (in the spirit of Flying Chairs, Dosovitskiy et al. 2015, Sec. 4.1)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from lecturelab.data.motion.textures import Gratings, LatticeNoise
from lecturelab.data.shapes import CLASSES, _grid, _inside


@dataclass(frozen=True)
class FlowConfig:
    size: int = 64  # frame side in pixels
    frames: int = 2  # frames per sequence (a pair by default)
    min_objects: int = 1  # fewest objects over the background
    max_objects: int = 3  # most objects over the background
    min_scale: float = 0.2  # smallest object diameter, fraction of the side
    max_scale: float = 0.45  # largest object diameter, fraction of the side
    max_shift: float = 4.0  # largest object translation per frame and axis, pixels
    max_rotation: float = 0.1  # largest object rotation per frame, radians
    max_zoom: float = 0.08  # largest relative object scale change per frame
    background_shift: float = 2.0  # largest background translation per frame and axis, pixels
    background_rotation: float = 0.02  # largest background rotation per frame, radians
    background_zoom: float = 0.02  # largest relative background scale change per frame

    def __post_init__(self) -> None:
        if self.size < 16 or self.frames < 2:
            raise ValueError(f"need size >= 16 and frames >= 2, got {self.size}, {self.frames}")
        if not 0 <= self.min_objects <= self.max_objects:
            raise ValueError(f"need 0 <= min_objects <= max_objects, got "
                             f"{(self.min_objects, self.max_objects)}")


@dataclass
class Layer:
    """One rigid layer: a shape (None: the whole plane) with an analytic texture, moving by
    translation `velocity`, rotation `spin` and scale factor `zoom` per frame."""

    shape: str | None
    radius: float
    centre: np.ndarray  # (2,) x, y at frame 0
    angle: float  # orientation at frame 0
    velocity: np.ndarray  # (2,) pixels per frame
    spin: float  # radians per frame
    zoom: float  # scale factor per frame
    texture: Gratings | LatticeNoise = field(repr=False)

    def pose(self, t: float) -> tuple[np.ndarray, float, float]:
        return self.centre + t * self.velocity, self.angle + t * self.spin, self.zoom**t

    def to_layer(self, x: np.ndarray, y: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Image points (x, y) at frame t in the layer's own coordinates."""
        c, a, s = self.pose(t)
        dx, dy = x - c[0], y - c[1]
        return (np.cos(a) * dx + np.sin(a) * dy) / s, (-np.sin(a) * dx + np.cos(a) * dy) / s

    def to_image(self, u: np.ndarray, v: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray]:
        """Layer coordinates (u, v) as image points at frame t (the inverse of `to_layer`)."""
        c, a, s = self.pose(t)
        return (c[0] + s * (np.cos(a) * u - np.sin(a) * v),
                c[1] + s * (np.sin(a) * u + np.cos(a) * v))

    def covers(self, x: np.ndarray, y: np.ndarray, t: float) -> np.ndarray:
        if self.shape is None:
            return np.ones(x.shape, dtype=bool)
        u, v = self.to_layer(x, y, t)
        return _inside(self.shape, u, v, self.radius, 0.0)


def _flow_layers(cfg: FlowConfig, rng: np.random.Generator) -> list[Layer]:
    s = cfg.size
    background = Layer(None, np.inf, np.array([s / 2, s / 2]), rng.uniform(0, 2 * np.pi),
                       rng.uniform(-cfg.background_shift, cfg.background_shift, 2),
                       rng.uniform(-cfg.background_rotation, cfg.background_rotation),
                       1 + rng.uniform(-cfg.background_zoom, cfg.background_zoom),
                       LatticeNoise(rng))
    layers = [background]
    for _ in range(rng.integers(cfg.min_objects, cfg.max_objects + 1)):
        radius = rng.uniform(cfg.min_scale, cfg.max_scale) * s / 2
        layers.append(Layer(
            str(rng.choice(CLASSES)), radius, rng.uniform(0.15 * s, 0.85 * s, 2),
            rng.uniform(0, 2 * np.pi), rng.uniform(-cfg.max_shift, cfg.max_shift, 2),
            rng.uniform(-cfg.max_rotation, cfg.max_rotation),
            1 + rng.uniform(-cfg.max_zoom, cfg.max_zoom),
            LatticeNoise(rng, against=background.texture.mean_colour)))
    return layers


def _owner(layers: list[Layer], x: np.ndarray, y: np.ndarray, t: float) -> np.ndarray:
    """Index of the top-most layer at each point (x, y) at frame t (layer 0 covers all)."""
    owner = np.zeros(x.shape, dtype=np.int64)
    for k, layer in enumerate(layers[1:], start=1):
        owner[layer.covers(x, y, t)] = k
    return owner


def render_flow_sequence(cfg: FlowConfig, rng: np.random.Generator) -> dict[str, Tensor]:
    """One sequence of `cfg.frames` frames: "frames" uint8 (T, 3, H, W), "flow" float32
    (T-1, 2, H, W) from each frame to the next, "occlusion" bool (T-1, H, W) where that point
    is hidden or off the frame in the next frame, "instances" int64 (T, H, W) (0: background,
    k: the k-th object)."""
    yy, xx = _grid(cfg.size)
    layers = _flow_layers(cfg, rng)
    frames, owners, flows, occlusions = [], [], [], []
    for t in range(cfg.frames):
        owner = _owner(layers, xx, yy, t)
        image = np.zeros((*xx.shape, 3), dtype=np.float64)
        for k, layer in enumerate(layers):
            here = owner == k
            image[here] = layer.texture(*layer.to_layer(xx[here], yy[here], t))
        frames.append(np.clip(np.round(image), 0, 255).astype(np.uint8).transpose(2, 0, 1))
        owners.append(owner)
    for t in range(cfg.frames - 1):
        x2, y2 = np.empty_like(xx), np.empty_like(yy)
        for k, layer in enumerate(layers):
            here = owners[t] == k
            x2[here], y2[here] = layer.to_image(*layer.to_layer(xx[here], yy[here], t), t + 1)
        flows.append(np.stack([x2 - xx, y2 - yy]).astype(np.float32))
        off = (x2 < 0) | (x2 >= cfg.size) | (y2 < 0) | (y2 >= cfg.size)
        occlusions.append(off | (_owner(layers, x2, y2, t + 1) != owners[t]))
    return {"frames": torch.from_numpy(np.stack(frames)),
            "flow": torch.from_numpy(np.stack(flows)),
            "occlusion": torch.from_numpy(np.stack(occlusions)),
            "instances": torch.from_numpy(np.stack(owners))}
