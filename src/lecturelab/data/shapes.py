"""`shapes`: procedural scenes with exact boxes, instance masks and semantic masks (lecture 4).

Objects are circles and regular polygons (square, triangle, hexagon, five-pointed star) of random
size, rotation and colour; masks are analytic point-in-shape tests at the pixel centres (the
even-odd rule for polygons), so they are exact. Later objects occlude earlier ones, but a
placement that would hide more than half of an earlier object is drawn again. Render styles,
for "train in simulation, domain randomisation" (lecture 4, "Tricks of the trade"; Tobin et al.
2017, "Domain randomization for transferring deep neural networks from simulation to the real
world", Sec. III-B: random textures, colours and backgrounds):

  plain       flat colours on a flat dark background
  randomised  flat, stripes, checker or pixel-noise textures in random colours, for the objects
              and the background alike
  target      held out: concentric-ring textures on a smooth "cloud" background, under a linear
              lighting gradient and Gaussian sensor noise - none of these is in `randomised`
"""

from __future__ import annotations

import colorsys
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from scipy.ndimage import binary_dilation
from torch import Tensor

CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "star", "hexagon")
STYLES = ("plain", "randomised", "target")
_CORNERS = {"square": 4, "triangle": 3, "hexagon": 6, "star": 10}
_STAR_INNER = 0.45  # inner / outer radius of the star's 10 vertices
_MIN_VISIBLE = 0.5  # an earlier object keeps at least this fraction of its area visible
_TRIES = 30  # placements tried per object before it is left out


@dataclass
class Scene:
    """One rendered scene; K may be 0 (boxes (0, 4), labels (0,), masks (0, H, W))."""

    image: Tensor  # uint8 (3, H, W)
    boxes: Tensor  # float32 (K, 4) absolute xyxy pixel edges, tight around the visible mask
    labels: Tensor  # int64 (K,), 1..len(CLASSES)
    masks: Tensor  # bool (K, H, W), the visible part of each instance
    semantic: Tensor  # int64 (H, W), 0 background else the top-most object's label


@dataclass(frozen=True)
class ShapesConfig:
    size: int = 128  # image side in pixels
    min_objects: int = 0  # fewest objects drawn in a scene
    max_objects: int = 4  # most objects drawn in a scene
    min_scale: float = 0.12  # smallest object diameter as a fraction of `size`
    max_scale: float = 0.35  # largest object diameter as a fraction of `size`
    style: str = "plain"  # "plain" | "randomised" | "target" (held-out render style)
    touching: bool = False  # each object after the first touches an earlier one of its class
    camouflage: bool = False  # reserved for lecture 4 part 2 (not implemented)

    def __post_init__(self) -> None:
        if self.size < 16:
            raise ValueError(f"size must be >= 16 pixels, got {self.size}")
        objects, scales = (self.min_objects, self.max_objects), (self.min_scale, self.max_scale)
        if not 0 <= objects[0] <= objects[1]:
            raise ValueError(f"need 0 <= min_objects <= max_objects, got {objects}")
        if not 0 < scales[0] <= scales[1] <= 1:
            raise ValueError(f"need 0 < min_scale <= max_scale <= 1, got {scales}")
        if self.style not in STYLES:
            raise ValueError(f"style must be one of {', '.join(STYLES)}, got {self.style!r}")


def make_scene(cfg: ShapesConfig, rng: np.random.Generator) -> Scene:
    """Render one scene: background, then objects back to front, each fully inside the image."""
    if cfg.camouflage:
        raise NotImplementedError("camouflaged scenes belong to lecture 4 part 2")
    yy, xx = _grid(cfg.size)
    canvas = _background(cfg.style, xx, yy, rng)  # (H, W, 3) float
    background = canvas.reshape(-1, 3).mean(0)
    layout = _Layout(np.full((cfg.size, cfg.size), -1, dtype=np.int64))
    for _ in range(rng.integers(cfg.min_objects, cfg.max_objects + 1)):
        placed = _place(cfg, rng, layout, xx, yy)
        if placed is not None:
            label, window, inside = placed
            layout.add(label, window, inside)
            canvas[window][inside] = _texture(cfg.style, xx[window][inside],
                                              yy[window][inside], rng, background)
    if cfg.style == "target":
        canvas = _lighting_and_noise(canvas, xx, yy, rng)
    labels = np.array(layout.labels, dtype=np.int64)
    masks = torch.from_numpy(layout.owner[None] == np.arange(len(labels))[:, None, None])
    semantic = np.concatenate([[0], labels])[layout.owner + 1]
    image = np.clip(canvas, 0, 255).round().astype(np.uint8).transpose(2, 0, 1).copy()
    return Scene(torch.from_numpy(image), tight_boxes(masks),  # image (3, H, W)
                 torch.from_numpy(labels), masks, torch.from_numpy(semantic))


@functools.cache
def _grid(size: int) -> np.ndarray:
    grid = np.mgrid[0:size, 0:size].astype(np.float32) + 0.5  # (2, H, W) y, x of pixel centres
    grid.flags.writeable = False  # shared by every scene of this size
    return grid


def tight_boxes(masks: Tensor) -> Tensor:
    """Float32 (K, 4) xyxy pixel-edge boxes around non-empty CPU masks (K, H, W): torchvision's
    masks_to_boxes + (0, 0, 1, 1), a 1-pixel mask being 1 wide, but much faster."""
    rows, cols = masks.numpy().any(2), masks.numpy().any(1)  # (K, H), (K, W)
    h, w = masks.shape[-2:]
    boxes = [cols.argmax(1), rows.argmax(1), w - cols[:, ::-1].argmax(1),
             h - rows[:, ::-1].argmax(1)]
    return torch.from_numpy(np.stack(boxes, 1).astype(np.float32)).reshape(-1, 4)


Window = tuple[slice, slice]


@dataclass
class _Layout:
    """The objects placed so far, back to front."""

    owner: np.ndarray  # int64 (H, W), index of the top-most object at each pixel, -1 for none
    labels: list[int] = field(default_factory=list)
    full: list[int] = field(default_factory=list)  # each object's area when placed
    visible: list[int] = field(default_factory=list)  # each object's area now

    def visible_after(self, window: Window, inside: np.ndarray) -> np.ndarray:
        """Each object's visible area once a new object covers `inside` of `window`."""
        hidden = np.bincount(self.owner[window][inside] + 1, minlength=len(self.labels) + 1)
        return np.array(self.visible, dtype=np.int64) - hidden[1:]

    def add(self, label: int, window: Window, inside: np.ndarray) -> None:
        self.visible = [*self.visible_after(window, inside).tolist(), int(inside.sum())]
        self.full.append(int(inside.sum()))
        self.owner[window][inside] = len(self.labels)
        self.labels.append(label)


def _place(cfg: ShapesConfig, rng: np.random.Generator, layout: _Layout, xx: np.ndarray,
           yy: np.ndarray) -> tuple[int, Window, np.ndarray] | None:
    """(label, window, mask in the window) of a new object that keeps earlier ones visible."""
    s = cfg.size
    for _ in range(_TRIES):
        radius = rng.uniform(cfg.min_scale, cfg.max_scale) * s / 2
        label, centre = int(rng.integers(1, len(CLASSES) + 1)), rng.uniform(radius, s - radius, 2)
        if cfg.touching and layout.labels:
            anchor = int(rng.integers(len(layout.labels)))
            label, ys, xs = layout.labels[anchor], *np.nonzero(layout.owner == anchor)
            angle = rng.uniform(0, 2 * np.pi)
            reach = radius + np.sqrt(layout.full[anchor] / np.pi)  # centre distance at contact
            centre = (np.array([xs.mean(), ys.mean()]) + 0.5
                      + rng.uniform(0.6, 1.0) * reach * np.array([np.cos(angle), np.sin(angle)]))
            if ((centre < radius) | (centre > s - radius)).any():
                continue
        lo = np.floor(centre - radius).astype(int).clip(0, s)
        hi = np.ceil(centre + radius).astype(int).clip(0, s)
        window = (slice(lo[1], hi[1]), slice(lo[0], hi[0]))
        inside = _inside(CLASSES[label - 1], xx[window] - centre[0], yy[window] - centre[1],
                         radius, rng.uniform(0, 2 * np.pi))
        hides = layout.visible_after(window, inside) < _MIN_VISIBLE * np.array(layout.full)
        if not inside.any() or hides.any():
            continue
        near = binary_dilation(inside)  # the mask and its 4-neighbours
        if not (cfg.touching and layout.labels) or (near & (layout.owner[window] == anchor)).any():
            return label, window, inside
    return None


def _inside(shape: str, dx: np.ndarray, dy: np.ndarray, radius: float, theta: float
            ) -> np.ndarray:
    """Which pixel centres (offsets dx, dy from the object's centre) lie inside the shape."""
    if shape == "circle":
        return dx**2 + dy**2 <= radius**2
    n = _CORNERS[shape]
    r = np.full(n, radius)
    if shape == "star":
        r[1::2] *= _STAR_INNER
    angles = theta + 2 * np.pi * np.arange(n) / n
    vx, vy = r * np.cos(angles), r * np.sin(angles)
    inside = np.zeros(dx.shape, dtype=bool)
    for x1, y1, x2, y2 in zip(vx, vy, np.roll(vx, -1), np.roll(vy, -1), strict=True):
        if y1 == y2:
            continue
        crosses = (y1 > dy) != (y2 > dy)
        inside ^= crosses & (dx < x1 + (dy - y1) * (x2 - x1) / (y2 - y1))  # even-odd rule
    return inside


def _colour(rng: np.random.Generator, *, value: tuple[float, float] = (0.55, 1.0)) -> np.ndarray:
    h, s, v = rng.uniform(0, 1), rng.uniform(0.5, 1), rng.uniform(*value)
    return 255 * np.array(colorsys.hsv_to_rgb(h, s, v), dtype=np.float32)


def _contrasting(rng: np.random.Generator, against: np.ndarray) -> np.ndarray:
    """A random colour at least 80 (RGB distance) from `against`, so the object stays visible."""
    while np.linalg.norm((c := _colour(rng, value=(0.2, 1.0))) - against) < 80:
        pass
    return c


def _pattern(family: str, xx: np.ndarray, yy: np.ndarray, rng: np.random.Generator
             ) -> np.ndarray:
    """A texture's mixing weight in [0, 1] at pixel centres (xx, yy) (any shape)."""
    a = rng.uniform(0, np.pi)
    u, v = xx * np.cos(a) + yy * np.sin(a), yy * np.cos(a) - xx * np.sin(a)
    if family == "stripes":
        return (np.sin(2 * np.pi * u / rng.uniform(3, 10)) > 0).astype(np.float32)
    if family == "checker":
        period = rng.uniform(3, 10)
        return ((np.floor(u / period) + np.floor(v / period)) % 2).astype(np.float32)
    if family == "noise":
        return rng.random(xx.shape, dtype=np.float32)
    if family == "rings":
        cx, cy = rng.uniform(xx.min(), xx.max() + 1), rng.uniform(yy.min(), yy.max() + 1)
        return 0.5 + 0.5 * np.sin(2 * np.pi * np.hypot(xx - cx, yy - cy) / rng.uniform(4, 9))
    return np.zeros(xx.shape, dtype=np.float32)  # "flat"


def _background(style: str, xx: np.ndarray, yy: np.ndarray, rng: np.random.Generator
                ) -> np.ndarray:
    if style == "plain":
        return np.broadcast_to(rng.uniform(0, 70, 3).astype(np.float32), (*xx.shape, 3)).copy()
    c1 = _colour(rng, value=(0.0, 1.0))
    c2 = np.clip(c1 + rng.normal(0, 60, 3), 0, 255).astype(np.float32)
    if style == "target":
        t = _clouds(xx.shape[0], rng)
    else:
        t = _pattern(rng.choice(["flat", "stripes", "checker", "noise"]), xx, yy, rng)
    return c1 + t[..., None] * (c2 - c1)  # (H, W, 3)


def _clouds(size: int, rng: np.random.Generator) -> np.ndarray:
    """Smooth value noise in [0, 1]: a random 4x4 grid, bilinearly upsampled to (size, size)."""
    knots, centres = np.linspace(0, size, 4), np.arange(size) + 0.5
    up = np.stack([np.interp(centres, knots, e) for e in np.eye(4)], 1)  # (size, 4)
    return (up @ rng.random((4, 4), dtype=np.float32) @ up.T).astype(np.float32)


def _texture(style: str, xx: np.ndarray, yy: np.ndarray, rng: np.random.Generator,
             background: np.ndarray) -> np.ndarray:
    """Colours (N, 3) of an object's pixels at centres xx, yy (N,)."""
    if style == "plain":
        return np.broadcast_to(_colour(rng), (len(xx), 3))
    c1 = _contrasting(rng, background)
    family = "rings" if style == "target" else rng.choice(["flat", "stripes", "checker", "noise"])
    c2 = np.clip(c1 + rng.normal(0, 50, 3), 0, 255).astype(np.float32)
    return c1 + _pattern(family, xx, yy, rng)[:, None] * (c2 - c1)  # (N, 3)


def _lighting_and_noise(canvas: np.ndarray, xx: np.ndarray, yy: np.ndarray,
                        rng: np.random.Generator) -> np.ndarray:
    """The target style's camera: a linear lighting gradient and Gaussian sensor noise."""
    a, s = rng.uniform(0, 2 * np.pi), xx.shape[0]
    ramp = ((xx - s / 2) * np.cos(a) + (yy - s / 2) * np.sin(a)) / s  # in [-0.71, 0.71]
    light = 0.85 + rng.uniform(0.4, 0.8) * ramp
    noise = 10 * rng.standard_normal(xx.shape, np.float32)  # the same in all channels
    return canvas * light[..., None] + noise[..., None]


class ShapesDataset(torch.utils.data.Dataset):
    """`n` scenes; scene i is rendered from the generator seeded by (seed, i), once."""

    def __init__(self, n: int, cfg: ShapesConfig = ShapesConfig(), *, seed: int = 0) -> None:
        if n < 0 or seed < 0:
            raise ValueError(f"n and seed must be >= 0, got n={n} seed={seed}")
        self.n, self.cfg, self.seed = n, cfg, seed
        self._cache: dict[int, Scene] = {}

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Scene:
        if not 0 <= i < self.n:
            raise IndexError(f"scene index must lie in [0, {self.n}), got {i}")
        if i not in self._cache:
            self._cache[i] = make_scene(self.cfg, np.random.default_rng((self.seed, i)))
        return self._cache[i]

    def batch(self, idx: Sequence[int]) -> tuple[Tensor, list[dict[str, Tensor]]]:
        """Images float32 (B, 3, H, W) in [0, 1] and per-image {"boxes", "labels", "masks"}."""
        return collate([self[int(i)] for i in idx])

    def semantic_batch(self, idx: Sequence[int]) -> tuple[Tensor, Tensor]:
        """Images float32 (B, 3, H, W) in [0, 1] and semantic masks int64 (B, H, W)."""
        scenes = [self[int(i)] for i in idx]
        return _images(scenes), torch.stack([s.semantic for s in scenes])


def collate(scenes: Sequence[Scene]) -> tuple[Tensor, list[dict[str, Tensor]]]:
    """Images float32 (B, 3, H, W) in [0, 1] and per-image {"boxes", "labels", "masks"}."""
    targets = [{"boxes": s.boxes, "labels": s.labels, "masks": s.masks} for s in scenes]
    return _images(scenes), targets


def _images(scenes: Sequence[Scene]) -> Tensor:
    if not scenes:
        raise ValueError("need at least one scene to make a batch")
    return torch.stack([s.image for s in scenes]).float() / 255
