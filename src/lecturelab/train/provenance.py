"""What a model was trained on, recorded in its checkpoint and checked before it is used.

A checkpoint's JSON holds a "dataset" record: the data's name, where it came from (a file or
folder, "shipped subset", or "built in" for data the package makes itself) and a fingerprint,
the sha256 of its arrays (dtype, shape and bytes of each, in order). `lecturelab eval` and
`--resume` recompute the record and refuse, in one line, data that differs from what trained
the model (another $LECTURELAB_CIFAR10, a changed generator); `allow_change` turns the refusal
into a warning on stderr.

Hashing CIFAR-10's 180 MB takes a fraction of a second; for data read from a file the digest is
cached in the user cache, keyed by the file's path, size and modification time (data/cache.py).
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from lecturelab.data.cache import cached_arrays, fingerprint
from lecturelab.errors import LabError

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "assets"  # the package's own data files


def array_digest(arrays: Iterable[Any]) -> str:
    """sha256 over the dtype, shape and bytes of each array (tensors or numpy), in order."""
    h = hashlib.sha256()
    for a in arrays:
        a = a.detach().cpu().contiguous().numpy() if isinstance(a, torch.Tensor) \
            else np.ascontiguousarray(a)
        h.update(f"{a.dtype.str}{a.shape};".encode())
        h.update(a.tobytes() if a.size == 0 else memoryview(a.reshape(-1)).cast("B"))
    return h.hexdigest()


def source_label(source: str) -> str:
    """Where data came from, as recorded: "shipped subset", "built in" or the path."""
    if not source:
        return "built in"
    if Path(source).resolve().parent == SHIPPED:
        return "shipped subset"
    return str(Path(source).resolve())


def data_record(name: str, source: str, arrays: Iterable[Any]) -> dict[str, str]:
    """The "dataset" record of a checkpoint: name, source and fingerprint of `arrays` (cached by
    file when `source` is a file or folder, since reading it again gives the same arrays)."""
    path = Path(source) if source else None
    if path is not None and path.exists():
        key = f"data-sha256-{name}-{fingerprint(path)}"
        cached = cached_arrays(key, lambda: {"sha256": np.frombuffer(
            bytes.fromhex(array_digest(arrays)), np.uint8)})
        digest = bytes(cached["sha256"]).hex()
    else:
        digest = array_digest(arrays)
    return {"name": name, "source": source_label(source), "fingerprint": digest}


def classification_record(data: Any) -> dict[str, str]:
    """The record of a ClassificationData (its whole train and test split)."""
    return data_record(data.name, data.source,
                       (data.x_train, data.y_train, data.x_test, data.y_test))


def check_data(where: str | Path, recorded: Any, current: dict[str, str], *, action: str,
               allow_change: bool = False) -> None:
    """Refuse (LabError) or, with `allow_change`, warn when `current` data is not the data the
    checkpoint `where` recorded; a checkpoint that records none is warned about."""
    if not isinstance(recorded, dict) or "fingerprint" not in recorded:
        warn(f"{where} records no fingerprint of its training data (written before data "
             f"records); cannot check that {action} uses the same data")
        return
    if recorded.get("fingerprint") == current["fingerprint"]:
        return
    message = (f"{where} was trained on {recorded.get('name')} ({recorded.get('source')}, "
               f"sha256 {str(recorded.get('fingerprint'))[:12]}), but {action} would use "
               f"{current['name']} ({current['source']}, sha256 "
               f"{current['fingerprint'][:12]})")
    if not allow_change:
        raise LabError(f"{message}; pass --allow-data-change to go on anyway")
    warn(message)


def warn(message: str) -> None:
    print(f"warning: {' '.join(message.split())}", file=sys.stderr)
