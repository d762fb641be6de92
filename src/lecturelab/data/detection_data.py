"""The container of the detection and segmentation data of lecture 4, the registered `shapes`
dataset, and joint augmentation of an image with its boxes and masks.

`augment` flips and scale-jitters the image, the boxes and the masks together through
torchvision.transforms.v2 and tv_tensors (boxes move with the same affine map as the pixels;
masks use nearest-neighbour sampling). Instances pushed out of the frame are dropped; a box cut
by the frame is refitted to the visible mask, since clamping the box would leave it loose.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import torch
from torchvision import tv_tensors
from torchvision.transforms import InterpolationMode
from torchvision.transforms.v2 import functional as F

from lecturelab.data.shapes import CLASSES, Scene, ShapesConfig, ShapesDataset, tight_boxes
from lecturelab.registry import register_dataset


@dataclass(repr=False)
class DetectionData:
    """A train / test split of scenes and the names of their classes (label k+1 = classes[k])."""

    name: str
    train: ShapesDataset
    test: ShapesDataset
    classes: tuple[str, ...]

    @property
    def num_classes(self) -> int:
        """The number of object classes, background not counted."""
        return len(self.classes)

    def __repr__(self) -> str:
        return (f"DetectionData({self.name!r}, train={len(self.train)}, test={len(self.test)}, "
                f"classes={self.classes})")


@register_dataset
def shapes(n_train: int = 1000, n_test: int = 200, seed: int = 0, **config: Any) -> DetectionData:
    """Procedural scenes (data/shapes.py); `config` takes the ShapesConfig fields. Train and test
    scenes come from different seeds, so they never coincide; scenes render lazily, once."""
    known = {f.name for f in fields(ShapesConfig)}
    if unknown := sorted(set(config) - known):
        raise ValueError(f"shapes: unknown config field(s) {', '.join(unknown)}; expected some "
                         f"of {', '.join(sorted(known))}")
    cfg = ShapesConfig(**config)
    return DetectionData("shapes", ShapesDataset(n_train, cfg, seed=2 * seed),
                         ShapesDataset(n_test, cfg, seed=2 * seed + 1), CLASSES)


def augment(scene: Scene, rng: np.random.Generator, *, flip: float = 0.5,
            scale: tuple[float, float] = (0.75, 1.25), shift: float = 0.1) -> Scene:
    """A horizontal flip (probability `flip`), a zoom by a factor drawn from `scale` and a shift
    of up to `shift` x the size, applied to image, boxes and masks alike. Visible masks stay
    disjoint, so the semantic mask is rebuilt from them."""
    h, w = scene.image.shape[-2:]
    image = tv_tensors.Image(scene.image)
    boxes = tv_tensors.BoundingBoxes(scene.boxes, format="XYXY", canvas_size=(h, w))
    masks = tv_tensors.Mask(scene.masks.to(torch.uint8))
    if rng.random() < flip:
        image, boxes, masks = (F.horizontal_flip(t) for t in (image, boxes, masks))
    move = dict(angle=0.0, translate=(rng.uniform(-shift, shift, 2) * (w, h)).tolist(),
                scale=float(rng.uniform(*scale)), shear=[0.0, 0.0])
    image = F.affine(image, **move, interpolation=InterpolationMode.BILINEAR)
    if len(scene.labels):
        boxes = F.clamp_bounding_boxes(F.affine(boxes, **move))
        masks = F.affine(masks, **move, interpolation=InterpolationMode.NEAREST)
    masks, boxes = masks.as_subclass(torch.Tensor).bool(), boxes.as_subclass(torch.Tensor)
    keep = masks.flatten(1).any(1)
    labels, masks, boxes = scene.labels[keep], masks[keep], boxes[keep]
    cut = (boxes[:, :2] <= 0).any(1) | (boxes[:, 2] >= w) | (boxes[:, 3] >= h)
    boxes = torch.where(cut[:, None], tight_boxes(masks), boxes)
    semantic = (labels[:, None, None] * masks).sum(0)  # (H, W): the masks are disjoint
    return Scene(image.as_subclass(torch.Tensor), boxes, labels, masks, semantic)
