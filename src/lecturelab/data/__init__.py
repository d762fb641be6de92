"""Datasets of the lectures, one container (`ClassificationData`) and one device-side loader.

`load_dataset("cifar10")`, `load_dataset("toy2d", kind="spirals")`; `list_datasets()` names
them all. Importing this package registers every dataset.
"""

from typing import Any

from lecturelab.data import cifar10, digits, mnist1d, toy2d  # noqa: F401  (registers them)
from lecturelab.data.cache import cache_dir
from lecturelab.data.core import ClassificationData
from lecturelab.data.loader import DeviceLoader
from lecturelab.data.toy2d import xor_points
from lecturelab.registry import datasets, list_datasets


def load_dataset(name: str, **kwargs: Any) -> ClassificationData:
    """The registered dataset `name`, built with `kwargs`; an unknown name suggests close ones."""
    return datasets.create(name, **kwargs)


__all__ = ["ClassificationData", "DeviceLoader", "cache_dir", "list_datasets", "load_dataset",
           "xor_points"]
from lecturelab.data import detection_data, motion  # noqa: E402,F401  (registers shapes, motion)
