"""CIFAR-10 (Krizhevsky 2009): 60,000 32x32 colour images of 10 classes, 50,000 for training.

The images come from the first source found: the `source` argument, `$LECTURELAB_CIFAR10`, the
project's shared `../shared/data/cifar10-jpg.zip`, then the subset shipped in the package (500
train and 100 test images a class). The shared zip holds the images re-encoded as JPEG at quality
75: quote results on it as "CIFAR-10 (JPEG q75)" (see src/lecturelab/data/README.md). They are
decoded once and cached as uint8 arrays; later loads read the cache.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import torch

import lecturelab
from lecturelab.data.cache import cached_arrays, fingerprint
from lecturelab.data.cifar10_files import CLASSES, read_cifar10
from lecturelab.data.core import ClassificationData
from lecturelab.data.loader import CROP_FLIP
from lecturelab.registry import register_dataset

log = logging.getLogger(__name__)

SUBSET = Path(__file__).parent / "assets" / "cifar10-subset.zip"
SHARED = Path("shared", "data", "cifar10-jpg.zip")  # relative to the checkout's parent folder
MEAN = (0.4914, 0.4822, 0.4465)  # per-channel mean of the original training images
STD = (0.2470, 0.2435, 0.2616)  # per-channel std over all their pixels


@register_dataset
def cifar10(source: str | Path | None = None) -> ClassificationData:
    """CIFAR-10 as uint8 (N, 3, 32, 32). `source`: a zip, an image folder or the python batches'
    folder; "subset" for the shipped subset; None to search (see the module docstring)."""
    path = find_source(source)
    arrays = cached_arrays(f"cifar10-{fingerprint(path)}", lambda: read_cifar10(path))
    log.info("cifar10: images from %s", path)
    return ClassificationData(
        "cifar10",
        *(torch.from_numpy(arrays[k]) for k in ("x_train", "y_train", "x_test", "y_test")),
        num_classes=len(CLASSES), classes=CLASSES, mean=MEAN, std=STD, source=str(path),
        augmentation=CROP_FLIP,
    )


def find_source(source: str | Path | None = None) -> Path:
    """The path CIFAR-10 is read from; a path given explicitly must exist."""
    if source == "subset":
        return _existing(SUBSET, "the shipped CIFAR-10 subset")
    if source is not None:
        return _existing(Path(source), "CIFAR-10 source")
    if os.environ.get("LECTURELAB_CIFAR10"):
        return _existing(Path(os.environ["LECTURELAB_CIFAR10"]), "$LECTURELAB_CIFAR10")
    checkout = Path(lecturelab.__file__).resolve().parents[2]
    for parent in (checkout.parent, Path.cwd().parent):
        if (parent / SHARED).is_file():
            return (parent / SHARED).resolve()
    return _existing(SUBSET, "the shipped CIFAR-10 subset")


def _existing(path: Path, what: str) -> Path:
    path = path.expanduser()
    if not path.exists():
        raise FileNotFoundError(f"{what} {path} does not exist")
    return path.resolve()
