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

One module per kind: flow.py, camouflage.py, torus.py (actions, slowfast), flicker.py; the
analytic textures in textures.py. This module draws n examples of a kind and registers the
dataset.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torch import Tensor

from lecturelab.data.motion.camouflage import CamouflageConfig, render_camouflage
from lecturelab.data.motion.flicker import FlickerConfig, render_flicker
from lecturelab.data.motion.flow import FlowConfig, Layer, render_flow_sequence
from lecturelab.data.motion.textures import Gratings, LatticeNoise
from lecturelab.data.motion.torus import (
    ACTIONS,
    POLYGONS,
    SLOWFAST_SHAPES,
    VideoConfig,
    render_action,
    render_slowfast,
)
from lecturelab.data.shapes import CLASSES, ShapesConfig, ShapesDataset
from lecturelab.registry import register_dataset

__all__ = ["ACTIONS", "KINDS", "POLYGONS", "SLOWFAST_SHAPES", "CamouflageConfig",
           "FlickerConfig", "FlowConfig", "Gratings", "LatticeNoise", "Layer", "MotionData",
           "VideoConfig", "generate", "motion", "render_action", "render_camouflage",
           "render_flicker", "render_flow_sequence", "render_slowfast"]

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
