"""Read CIFAR-10 (Krizhevsky 2009) from the forms it is passed around in, into uint8 arrays.

Three layouts: a zip or a folder of image files `train/<class>/<n>.jpg` and `test/<class>/<n>.jpg`
(optionally inside one top-level folder), or the folder of the original python batches
(`data_batch_1` .. `data_batch_5`, `test_batch`). Labels are CIFAR-10's class indices, whichever
classes a source holds.

The python batches are pickles, and unpickling runs whatever a file names; so they are read with
`BatchUnpickler`, which admits only what the real batches hold (dicts, lists, bytes, str, ints and
numpy uint8 arrays) and refuses any other object, naming the file. It is the project's only
unpickling (tests/security/test_no_pickle.py).
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
from lecturelab.errors import LabError

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
            batch = BatchUnpickler(f, encoding="bytes").load()  # Python 2's str: bytes
        if not isinstance(batch, dict):
            raise TypeError(f"the top level is a {type(batch).__name__}, not a dict")
        x, y = np.asarray(batch[b"data"]), np.asarray(batch[b"labels"])
        if x.dtype != np.uint8 or y.dtype.kind not in "iu":
            raise TypeError(f"data is {x.dtype} (expected uint8), labels {y.dtype} (expected int)")
        x, y = x.reshape(-1, 3, SIZE, SIZE), y.astype(np.int64)  # (N, 3072) -> (N, C, H, W)
    except Forbidden as e:
        raise LabError(f"refused CIFAR-10 batch {path}: it holds {e}, which a CIFAR-10 batch "
                       "never does (only dicts, lists, bytes, ints and numpy arrays)") from None
    except Exception as e:  # a broken pickle fails in many ways; name the file for all of them
        raise LabError(f"cannot read CIFAR-10 batch {path}: expected a pickled dict of b'data' "
                       f"(N, 3072) uint8 and b'labels', got error {e!r}"[:400]) from e
    if len(x) != len(y) or y.ndim != 1 or not ((0 <= y) & (y < len(CLASSES))).all():
        raise LabError(f"CIFAR-10 batch {path}: {len(x)} images need as many labels in "
                       f"0..{len(CLASSES) - 1}, got {y.size} labels")
    return x, y


class Forbidden(pickle.UnpicklingError):
    """A pickle names a class or function that a CIFAR-10 batch never holds."""


def _empty_array(cls: type, shape: tuple, dtype: bytes) -> np.ndarray:
    """numpy's `_reconstruct`, which builds the empty array that BUILD then fills."""
    if cls is not np.ndarray or tuple(shape) != (0,):
        raise Forbidden(f"an array reconstruction of {cls!r} with shape {shape!r}")
    return _RECONSTRUCT(np.ndarray, (0,), dtype)


def _latin1(text: str, encoding: str = "latin1") -> bytes:
    """`_codecs.encode`, by which Python 3 pickles bytes at protocol 2; latin-1 only."""
    if encoding not in ("latin1", "latin-1") or not isinstance(text, str):
        raise Forbidden(f"_codecs.encode to {encoding!r}")
    return text.encode("latin1")


_RECONSTRUCT = np.zeros(0).__reduce__()[0]  # numpy's own unpickling functions, by value
_FROMBUFFER = np.zeros(1).__reduce_ex__(5)[0]
SAFE_GLOBALS: dict[tuple[str, str], Callable] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("numpy.core.multiarray", "_reconstruct"): _empty_array,  # numpy < 2 and Python 2 files
    ("numpy._core.multiarray", "_reconstruct"): _empty_array,
    ("numpy.core.numeric", "_frombuffer"): _FROMBUFFER,  # protocol 5
    ("numpy._core.numeric", "_frombuffer"): _FROMBUFFER,
    ("_codecs", "encode"): _latin1,
}


class BatchUnpickler(pickle.Unpickler):
    """An unpickler that builds only dicts, lists, bytes, str, numbers and numpy arrays."""

    def find_class(self, module: str, name: str) -> Callable:
        if (module, name) not in SAFE_GLOBALS:
            raise Forbidden(f"{module}.{name}"[:120])
        return SAFE_GLOBALS[module, name]
