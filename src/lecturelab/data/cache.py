"""A user cache of decoded or generated arrays, so each dataset is built once per machine.

The folder is `$LECTURELAB_CACHE`, else `$XDG_CACHE_HOME/lecturelab`, else
`~/.cache/lecturelab`. Files are written atomically; an unreadable one is rebuilt.
"""

from __future__ import annotations

import hashlib
import logging
import os
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lecturelab.io import atomic_write

log = logging.getLogger(__name__)

Arrays = dict[str, np.ndarray]


def cache_dir() -> Path:
    if os.environ.get("LECTURELAB_CACHE"):
        return Path(os.environ["LECTURELAB_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "lecturelab"


def cached_arrays(name: str, build: Callable[[], Arrays]) -> Arrays:
    """The arrays stored as `<cache_dir>/<name>.npz`, made by `build()` on the first call."""
    path = cache_dir() / f"{name}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
            log.warning("rebuilding unreadable cache file %s (%s)", path, e)
    arrays = build()
    try:
        atomic_write(path, lambda tmp: _save(tmp, arrays))
    except OSError as e:
        log.warning("could not cache %s (%s); it will be rebuilt next time", path, e)
    return arrays


def fingerprint(path: Path) -> str:
    """A short key that changes when the file, or any file under the folder, changes."""
    files = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    h = hashlib.sha1(str(path.resolve()).encode())
    for p in files:
        st = p.stat()
        h.update(f"{p}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()[:16]


def _save(tmp: Path, arrays: Arrays) -> None:
    with open(tmp, "wb") as f:  # a file object: np.savez would append ".npz" to a path
        np.savez(f, **arrays)
