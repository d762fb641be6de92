"""Build the CIFAR-10 subset shipped in the package from the shared CIFAR-10 JPEG zip.

Keeps the first 500 training and 100 test images of every class (by file name), in the same
`train/<class>/<n>.jpg` layout, with each file's bytes copied as they are (no re-encoding).

    .venv/bin/python scripts/make_cifar10_subset.py [SOURCE_ZIP] [OUT_ZIP]
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "data" / "cifar10-jpg.zip"
OUT = ROOT / "src" / "lecturelab" / "data" / "assets" / "cifar10-subset.zip"
PER_CLASS = {"train": 500, "test": 100}  # images kept of every class
IMAGE_FILE = re.compile(r"^(?:[^/]+/)?(train|test)/([^/]+)/[^/]+\.jpe?g$")


def pick(names: list[str]) -> list[str]:
    """The first PER_CLASS[split] file names of every (split, class), in sorted order."""
    kept: dict[tuple[str, str], list[str]] = {}
    for name in sorted(names):
        match = IMAGE_FILE.match(name)
        if match:
            group = kept.setdefault((match[1], match[2]), [])
            if len(group) < PER_CLASS[match[1]]:
                group.append(name)
    return [name for group in kept.values() for name in group]


def make_subset(source: Path, out: Path) -> int:
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(out, "w") as dst:
        names = pick(src.namelist())
        for name in names:
            info = zipfile.ZipInfo(name, date_time=src.getinfo(name).date_time)
            info.external_attr = 0o644 << 16  # rw-r--r-- when extracted
            dst.writestr(info, src.read(name), compress_type=zipfile.ZIP_STORED)
    return len(names)


if __name__ == "__main__":
    source = Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    count = make_subset(source, out)
    print(f"wrote {count} images, {out.stat().st_size / 1e6:.1f} MB, to {out}")
