"""The detectors' input contract, checked at their public methods (DESIGN.md, "Contracts").

Images are float (B, 3, H, W) in [0, 1]; a target is {"boxes": (K, 4) absolute xyxy, "labels":
(K,) int64 in 1..num_classes, optional "masks": (K, H, W)}; K may be 0. Inside the models the
images are standardised with the ImageNet mean and std, as torchvision's detectors do (without
their resizing: a scene is used at its own size).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import Tensor

IMAGE_MEAN = (0.485, 0.456, 0.406)
IMAGE_STD = (0.229, 0.224, 0.225)


def standardise(images: Tensor) -> Tensor:
    """Check a (B, 3, H, W) float batch and standardise it channel-wise."""
    if images.ndim != 4 or images.shape[1] != 3 or not images.is_floating_point():
        raise ValueError(f"images must be float (B, 3, H, W) in [0, 1], got "
                         f"{images.dtype} {tuple(images.shape)}")
    mean = images.new_tensor(IMAGE_MEAN)[:, None, None]
    std = images.new_tensor(IMAGE_STD)[:, None, None]
    return (images - mean) / std


def check_targets(targets: Sequence[dict[str, Tensor]], batch: int, num_classes: int,
                  *, masks: bool = False) -> None:
    """Raise ValueError unless there is one well-formed target per image."""
    if len(targets) != batch:
        raise ValueError(f"need one target per image: {batch} images, {len(targets)} targets")
    for i, t in enumerate(targets):
        boxes, labels = t.get("boxes"), t.get("labels")
        if boxes is None or labels is None:
            raise ValueError(f"targets[{i}] needs 'boxes' and 'labels', got keys {sorted(t)}")
        if boxes.ndim != 2 or boxes.shape[1] != 4 or labels.shape != (len(boxes),):
            raise ValueError(f"targets[{i}]: boxes must be (K, 4) and labels (K,), got "
                             f"{tuple(boxes.shape)} and {tuple(labels.shape)}")
        if len(labels) and not (1 <= int(labels.min()) and int(labels.max()) <= num_classes):
            raise ValueError(f"targets[{i}]: labels must be in 1..{num_classes} (0 is "
                             f"background), got {labels.tolist()}")
        if len(boxes) and bool((boxes[:, 2:] <= boxes[:, :2]).any()):
            raise ValueError(f"targets[{i}]: boxes must be xyxy with x2 > x1 and y2 > y1")
        if masks and (t.get("masks") is None or len(t["masks"]) != len(boxes)):
            raise ValueError(f"targets[{i}] needs 'masks' (K, H, W), one per box")


def image_size(images: Tensor) -> tuple[int, int]:
    return int(images.shape[-2]), int(images.shape[-1])


