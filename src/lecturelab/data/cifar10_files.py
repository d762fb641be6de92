"""Read CIFAR-10 (Krizhevsky 2009) from the forms it is passed around in, into uint8 arrays.

Three layouts: a zip or a folder of image files `train/<class>/<n>.jpg` and `test/<class>/<n>.jpg`
(optionally inside one top-level folder), or the folder of the original python batches
(`data_batch_1` .. `data_batch_5`, `test_batch`). Labels are CIFAR-10's class indices, whichever
classes a source holds.
"""

from __future__ import annotations

import io
import pickle
import re
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from lecturelab.data.cache import Arrays

CLASSES = ("airplane", "automobile", "bird", "cat", "deer",
           "dog", "frog", "horse", "ship", "truck")  # CIFAR-10's label order (alphabetical)
SIZE = 32  # pixels a side
IMAGE_FILE = re.compile(r"^(?:[^/]+/)?(train|test)/([^/]+)/([^/]+\.(?:jpe?g|png))$", re.I)


def read_cifar10(path: Path) -> Arrays:
    """x_train, y_train, x_test, y_test: uint8 (N, 3, 32, 32) images and int64 labels."""
    if path.is_file():
        if not zipfile.is_zipfile(path):
            raise ValueError(f"CIFAR-10 source {path} is a file but not a zip; expected a zip of "
                             "train/<class>/*.jpg and test/<class>/*.jpg")
        with zipfile.ZipFile(path) as z:
            return read_image_files(z.namelist(), z.read, where=path)
    batches = next((d for d in (path, path / "cifar-10-batches-py")
                    if (d / "data_batch_1").is_file()), None)
    if batches is not None:
        return read_python_batches(batches)
    names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
    return read_image_files(names, lambda n: (path / n).read_bytes(), where=path)


def read_image_files(names: list[str], read: Callable[[str], bytes], *, where: Path) -> Arrays:
    """Decode the images among `names` (paths inside a zip or folder) with `read(name)`."""
    splits: dict[str, list[tuple[int, str]]] = {"train": [], "test": []}
    for name in names:
        match = IMAGE_FILE.match(name)
        if match is None or name.startswith("__MACOSX/") or match[3].startswith("._"):
            continue
        split, label = match[1].lower(), match[2]
        if label not in CLASSES:
            raise ValueError(f"unknown class folder {label!r} ({name}) in {where}; "
                             f"expected one of {', '.join(CLASSES)}")
        splits[split].append((CLASSES.index(label), name))
    if not splits["train"] or not splits["test"]:
        raise ValueError(f"{where} holds no CIFAR-10 images; expected train/<class>/*.jpg and "
                         "test/<class>/*.jpg (or the python batches data_batch_1.. test_batch)")
    arrays = {}
    for split, items in splits.items():
        items.sort(key=lambda item: (item[0], len(item[1]), item[1]))  # 2.jpg before 10.jpg
        x = np.empty((len(items), 3, SIZE, SIZE), dtype=np.uint8)
        for i, (_, name) in enumerate(items):
            x[i] = decode_image(read(name), name=name, where=where).transpose(2, 0, 1)
        arrays[f"x_{split}"] = x
        arrays[f"y_{split}"] = np.array([label for label, _ in items], dtype=np.int64)
    return arrays


def decode_image(data: bytes, *, name: str, where: Path) -> np.ndarray:
    """One 32x32 image file's bytes -> uint8 (32, 32, 3) RGB."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            rgb = np.asarray(image.convert("RGB"))
    except (OSError, SyntaxError, ValueError) as e:  # PIL's errors for broken files
        raise ValueError(f"cannot decode {name} in {where}: {e}") from e
    if rgb.shape != (SIZE, SIZE, 3):
        raise ValueError(f"{name} in {where} must be {SIZE}x{SIZE}, got "
                         f"{rgb.shape[1]}x{rgb.shape[0]}")
    return rgb


def read_python_batches(folder: Path) -> Arrays:
    """The original CIFAR-10 python version: pickled dicts of b"data" (N, 3072) and b"labels"."""
    train = [_unpickle(folder / f"data_batch_{i}") for i in range(1, 6)]
    x_test, y_test = _unpickle(folder / "test_batch")
    return {"x_train": np.concatenate([x for x, _ in train]),
            "y_train": np.concatenate([y for _, y in train]),
            "x_test": x_test, "y_test": y_test}


def _unpickle(path: Path) -> tuple[np.ndarray, np.ndarray]:
    if not path.is_file():
        raise FileNotFoundError(f"CIFAR-10 batch {path} is missing")
    try:
        with open(path, "rb") as f:
            batch = pickle.load(f, encoding="bytes")  # written by Python 2: keys are bytes
        x = np.asarray(batch[b"data"], dtype=np.uint8).reshape(-1, 3, SIZE, SIZE)  # (N, C, H, W)
        y = np.asarray(batch[b"labels"], dtype=np.int64)
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"cannot read CIFAR-10 batch {path}: expected a pickled dict of "
                         f"b'data' (N, 3072) uint8 and b'labels', got error {e!r}") from e
    if len(x) != len(y):
        raise ValueError(f"CIFAR-10 batch {path}: {len(x)} images but {len(y)} labels")
    return x, y
