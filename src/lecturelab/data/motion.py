"""`motion`: procedural frame pairs with exact optical flow, and short videos (lecture 4, part 2).

Everything is drawn from the `shapes` renderer's analytic shapes (data/shapes.py), deterministic
by seed, in five kinds:

  flow        textured objects under random affine motion (translation, rotation, scale) over a
              moving textured background, in the spirit of Flying Chairs (Dosovitskiy et al.
              2015, Sec. 4.1). Each layer's texture is an analytic function of its own
              coordinates, so every frame is rendered exactly and the flow of a pixel is where
              its layer's motion takes it: exact, with an occlusion mask where that point is
              hidden (or off the frame) in the next frame.
  camouflage  an object whose texture is pixel noise of the background's statistics, shifted by
              2-5 whole pixels a frame: visible only through motion; a mask per frame.
  actions     the class is the motion (four directions, two senses of rotation) of a striped
              polygon on a torus (it wraps around the edges), so a single frame says nothing.
  slowfast    the class combines the shape (one colour, plainly visible in any frame) with a
              vibration whose period equals the slow pathway's frame stride: a low frame rate
              sees the shape but not the vibration.
  flicker     static `shapes` scenes with small Gaussian noise in every frame.

Flows are float32 (2, H, W), (u, v) = (x, y) displacement in pixels from the first frame to the
second (pixel centres at integer + 0.5). Frames are uint8 (3, H, W); videos (T, 3, H, W).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lecturelab.data.shapes import (
    CLASSES,
    ShapesConfig,
    ShapesDataset,
    _colour,
    _contrasting,
    _grid,
    _inside,
)
from lecturelab.registry import register_dataset

ACTIONS = ("right", "left", "down", "up", "clockwise", "anticlockwise")
POLYGONS = ("square", "triangle", "star", "hexagon")
SLOWFAST_SHAPES = ("square", "triangle", "star")
KINDS = ("flow", "camouflage", "actions", "slowfast", "flicker")


@dataclass(repr=False)
class MotionData:
    """A train / test split of one kind of motion data: each split maps field names (frames,
    flow, masks, labels ...) to tensors with the examples first; `classes` names the labels."""

    name: str
    train: dict[str, Tensor]
    test: dict[str, Tensor]
    classes: tuple[str, ...] = ()

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def __repr__(self) -> str:
        fields = {k: tuple(v.shape) for k, v in self.train.items()}
        return (f"MotionData({self.name!r}, train={len(next(iter(self.train.values())))}, "
                f"test={len(next(iter(self.test.values())))}, fields={fields})")


# ---- flow: layers under affine motion -------------------------------------------------------

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


class Gratings:
    """A texture of `n` random sinusoidal gratings (periods 4-14 px) mixing two colours: an
    analytic function (u, v) -> RGB (..., 3), so it renders exactly under any motion."""

    def __init__(self, rng: np.random.Generator, against: np.ndarray | None = None,
                 n: int = 3) -> None:
        self.c1 = _colour(rng, value=(0.2, 1.0)) if against is None else _contrasting(rng,
                                                                                       against)
        self.c2 = _colour(rng, value=(0.0, 1.0))
        self.angles, self.periods = rng.uniform(0, np.pi, n), rng.uniform(4, 14, n)
        self.phases, self.weights = rng.uniform(0, 2 * np.pi, n), rng.dirichlet(np.ones(n))

    @property
    def mean_colour(self) -> np.ndarray:
        return (self.c1 + self.c2) / 2

    def __call__(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        waves = [w * np.sin(2 * np.pi * (u * np.cos(a) + v * np.sin(a)) / p + f)
                 for a, p, f, w in zip(self.angles, self.periods, self.phases, self.weights,
                                       strict=True)]
        mix = 0.5 + 0.5 * np.sum(waves, axis=0)
        return self.c1 + mix[..., None] * (self.c2 - self.c1)


class LatticeNoise:
    """Value noise: random RGB values on a square lattice of spacing 2-5 px, interpolated
    bilinearly and repeating every 32 lattice cells, tinted towards a base colour. Defined at
    every real point (u, v), so, like `Gratings`, it renders exactly under any motion, and it
    has no aperture problem: every patch is unique in both directions."""

    def __init__(self, rng: np.random.Generator, against: np.ndarray | None = None,
                 cells: int = 32) -> None:
        self.base = _colour(rng, value=(0.2, 1.0)) if against is None else _contrasting(
            rng, against)
        self.spacing = rng.uniform(2, 5)
        self.values = rng.random((cells, cells, 3))

    @property
    def mean_colour(self) -> np.ndarray:
        return 0.5 * self.base + 0.25 * 255

    def __call__(self, u: np.ndarray, v: np.ndarray) -> np.ndarray:
        n = len(self.values)
        gx, gy = u / self.spacing, v / self.spacing
        x0, y0 = np.floor(gx), np.floor(gy)
        fx, fy = (gx - x0)[..., None], (gy - y0)[..., None]
        i, j = x0.astype(np.int64) % n, y0.astype(np.int64) % n
        i1, j1 = (i + 1) % n, (j + 1) % n
        top = (1 - fx) * self.values[j, i] + fx * self.values[j, i1]
        bottom = (1 - fx) * self.values[j1, i] + fx * self.values[j1, i1]
        return 0.5 * self.base + 0.5 * 255 * ((1 - fy) * top + fy * bottom)


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


# ---- camouflage ------------------------------------------------------------------------------

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


# ---- actions and slowfast: one object on a torus ---------------------------------------------

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


# ---- flicker: static scenes with noise -------------------------------------------------------

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


# ---- the registered dataset ------------------------------------------------------------------

def _config(cls: type, config: dict[str, object]) -> Any:
    known = {f.name for f in fields(cls)}
    if unknown := sorted(set(config) - known):
        raise ValueError(f"motion: unknown {cls.__name__} field(s) {', '.join(unknown)}; "
                         f"expected some of {', '.join(sorted(known))}")
    return cls(**config)


def _stack(items: list[dict[str, Tensor]]) -> dict[str, Tensor]:
    return {k: torch.stack([item[k] for item in items]) for k in items[0]}


def generate(kind: str, n: int, seed: int, **config: object) -> tuple[dict[str, Tensor],
                                                                        tuple[str, ...]]:
    """`n` examples of `kind`, example i drawn from the generator seeded by (seed, i)."""
    if kind not in KINDS:
        raise ValueError(f"motion kind must be one of {', '.join(KINDS)}, got {kind!r}")
    if n < 0 or seed < 0:
        raise ValueError(f"n and seed must be >= 0, got n={n} seed={seed}")
    rngs = [np.random.default_rng((seed, i)) for i in range(n)]
    if kind == "flow":
        cfg = _config(FlowConfig, config)
        return _stack([render_flow_sequence(cfg, r) for r in rngs]) if n else {}, ()
    if kind == "camouflage":
        cam = _config(CamouflageConfig, config)
        return _stack([render_camouflage(cam, r) for r in rngs]) if n else {}, ()
    if kind == "flicker":
        flick = _config(FlickerConfig, config)
        scenes = ShapesDataset(n, ShapesConfig(size=flick.size, min_objects=1, max_objects=3,
                                               min_scale=0.25, max_scale=0.5), seed=seed)
        return (_stack([render_flicker(flick, scenes, i, r) for i, r in enumerate(rngs)])
                if n else {}), ("background", *CLASSES)
    video = _config(VideoConfig, config)
    labels = torch.arange(n) % (6 if kind == "actions" else 2 * len(SLOWFAST_SHAPES))
    if kind == "actions":
        clips = [render_action(video, r, int(y)) for r, y in zip(rngs, labels, strict=True)]
        classes = ACTIONS
    else:
        clips = [render_slowfast(video, r, int(y) // 2, bool(y % 2))
                 for r, y in zip(rngs, labels, strict=True)]
        classes = tuple(f"{s} {m}" for s in SLOWFAST_SHAPES for m in ("still", "vibrating"))
    return {"frames": torch.stack(clips) if n else torch.empty(0), "labels": labels}, classes


@register_dataset
def motion(kind: str = "flow", n_train: int = 1000, n_test: int = 200, seed: int = 0,
           **config: object) -> MotionData:
    """Procedural motion data of one `kind` (see KINDS); `config` takes the fields of that
    kind's config (FlowConfig, CamouflageConfig, VideoConfig or FlickerConfig). Train and test
    come from different seeds, so they never coincide."""
    train, classes = generate(kind, n_train, 2 * seed, **config)
    test, _ = generate(kind, n_test, 2 * seed + 1, **config)
    return MotionData(kind, train, test, classes)
