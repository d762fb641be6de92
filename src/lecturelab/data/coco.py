"""COCO import and export of scenes (lecture 4, "Metrics and benchmarks": COCO).

The format of Lin et al. 2014, "Microsoft COCO: Common objects in context" (cocodataset.org,
"Data format"): one JSON file of `images`, `categories` and `annotations`, an annotation being an
instance's category, `bbox` [x, y, width, height] in pixels, `segmentation` (an RLE dict or a
list of polygons) and `area`. Masks are run-length encoded with pycocotools.mask. Category ids
are mapped to labels 1..K in the order of their ids, so `shapes` scenes round-trip exactly.

A COCO file is untrusted input: an image's `file_name` must be a relative path that stays
inside the image root (no '..', no absolute path, no link out), and every field is checked when
the file is opened, so a bad file fails with one line naming the file and the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import pycocotools.mask as mask_utils
import torch
from PIL import Image
from torch import Tensor

from lecturelab.data.shapes import CLASSES, Scene, collate
from lecturelab.errors import LabError, one_line
from lecturelab.io import is_inside


def encode_masks(masks: Tensor) -> list[dict[str, Any]]:
    """COCO RLE dicts (counts as str, JSON-ready) of bool masks (K, H, W)."""
    rles = mask_utils.encode(np.asfortranarray(masks.numpy().astype(np.uint8).transpose(1, 2, 0)))
    return [{"size": r["size"], "counts": r["counts"].decode("ascii")} for r in rles]


def instance_annotations(image_id: int, boxes: Tensor, labels: Tensor,
                         masks: Tensor | None = None) -> list[dict[str, Any]]:
    """COCO annotations of one image's instances; `area` is the mask's where there is one."""
    xywh = torch.cat([boxes[:, :2], boxes[:, 2:] - boxes[:, :2]], 1).tolist()
    anns = [{"image_id": image_id, "category_id": int(c), "bbox": b, "area": b[2] * b[3],
             "iscrowd": 0} for b, c in zip(xywh, labels.tolist(), strict=True)]
    if masks is not None:
        for ann, rle, area in zip(anns, encode_masks(masks), masks.flatten(1).sum(1).tolist(),
                                  strict=True):
            ann.update(segmentation=rle, area=float(area))
    return anns


def to_coco(dataset: Sequence[Scene], image_dir: str | Path,
            classes: Sequence[str] = ()) -> dict[str, Any]:
    """The COCO dict of `dataset`, writing scene i as `image_dir/<i:06d>.png`. `classes` names
    the labels 1..K (default: the dataset's `classes`, else the shapes CLASSES)."""
    image_dir = Path(image_dir)
    image_dir.mkdir(parents=True, exist_ok=True)
    images, annotations = [], []
    for i in range(len(dataset)):
        scene = dataset[i]
        name = f"{i:06d}.png"
        Image.fromarray(scene.image.permute(1, 2, 0).numpy()).save(image_dir / name)
        h, w = scene.image.shape[-2:]
        images.append({"id": i + 1, "file_name": name, "height": h, "width": w})
        annotations += instance_annotations(i + 1, scene.boxes, scene.labels, scene.masks)
    for k, ann in enumerate(annotations):
        ann["id"] = k + 1
    names = classes or getattr(dataset, "classes", CLASSES)
    categories = [{"id": k + 1, "name": n} for k, n in enumerate(names)]
    return {"images": images, "annotations": annotations, "categories": categories}


def save_coco(dataset: Sequence[Scene], folder: str | Path,
              classes: Sequence[str] = ()) -> Path:
    """Write `folder/images/*.png` and `folder/annotations.json`; returns the JSON's path."""
    folder = Path(folder)
    coco = to_coco(dataset, folder / "images", classes)
    path = folder / "annotations.json"
    path.write_text(json.dumps(coco))
    return path


class CocoDataset(torch.utils.data.Dataset):
    """Scenes read from a COCO file; the file is checked when opened, images read on access."""

    def __init__(self, json_path: Path, image_root: Path, coco: dict[str, Any]) -> None:
        self.json_path, self.image_root = json_path, image_root
        self.images = coco["images"]
        cats = sorted(coco["categories"], key=lambda c: c["id"])
        self.classes = tuple(c["name"] for c in cats)
        self._label = {c["id"]: k + 1 for k, c in enumerate(cats)}
        self._anns: dict[int, list[dict[str, Any]]] = {im["id"]: [] for im in self.images}
        for ann in coco["annotations"]:
            self._anns[ann["image_id"]].append(ann)

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> Scene:
        if not 0 <= i < len(self):
            raise IndexError(f"image index must lie in [0, {len(self)}), got {i}")
        info, anns = self.images[i], self._anns[self.images[i]["id"]]
        h, w = info["height"], info["width"]
        path = self.image_path(i)
        try:
            with Image.open(path) as file:
                pixels = np.asarray(file.convert("RGB"))  # (H, W, 3)
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as e:
            raise LabError(f"{self.json_path}: images[{i}] cannot be read from "
                           f"{one_line(str(path))}: {one_line(str(e))}") from e
        image = torch.from_numpy(pixels.transpose(2, 0, 1).copy())
        if tuple(image.shape[-2:]) != (h, w):
            raise ValueError(f"{self.json_path}: images[{i}] height/width ({h}, {w}) do not "
                             f"match {one_line(str(path))}, which is {tuple(image.shape[-2:])}")
        masks = torch.zeros((len(anns), h, w), dtype=torch.bool)
        for k, ann in enumerate(anns):
            masks[k] = torch.from_numpy(self._mask(ann, h, w).astype(bool))
        x, y, bw, bh = torch.tensor([a["bbox"] for a in anns], dtype=torch.float32).reshape(-1, 4).T
        labels = torch.tensor([self._label[a["category_id"]] for a in anns], dtype=torch.int64)
        semantic = torch.zeros((h, w), dtype=torch.int64)
        for label, mask in zip(labels, masks, strict=True):  # later annotations on top
            semantic[mask] = label
        return Scene(image, torch.stack([x, y, x + bw, y + bh], 1), labels, masks, semantic)

    def image_path(self, i: int) -> Path:
        """The file of image i, which must lie inside the image root (after links)."""
        name = self.images[i]["file_name"]
        path = self.image_root / name
        if not is_inside(path, self.image_root):
            raise LabError(f"{self.json_path}: images[{i}].file_name {name!r} lies outside the "
                           f"image root {self.image_root}")
        return path

    def _mask(self, ann: dict[str, Any], h: int, w: int) -> np.ndarray:
        try:
            mask = _decode(ann["segmentation"], h, w)
        except Exception as e:  # pycocotools raises bare Exception, IndexError, ... on bad input
            raise LabError(f"{self.json_path}: the segmentation of annotation id "
                           f"{ann.get('id')!r} cannot be decoded: {one_line(str(e))}") from e
        if mask.shape != (h, w):
            raise LabError(f"{self.json_path}: the segmentation of annotation id "
                           f"{ann.get('id')!r} is {mask.shape}, not the image's ({h}, {w})")
        return mask

    def batch(self, idx: Sequence[int]) -> tuple[Tensor, list[dict[str, Tensor]]]:
        """Images float32 (B, 3, H, W) in [0, 1] and per-image {"boxes", "labels", "masks"}."""
        return collate([self[int(i)] for i in idx])


def load_coco(json_path: str | Path, image_root: str | Path) -> CocoDataset:
    """Open a COCO file whose image `file_name`s are relative to `image_root`. A malformed file
    raises ValueError naming the file and the field."""
    json_path = Path(json_path)
    try:
        coco = json.loads(json_path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as e:  # bad JSON, bad UTF-8, nested too deep
        raise LabError(f"{json_path}: not valid JSON ({one_line(str(e))})") from e
    _check(json_path, coco)
    return CocoDataset(json_path, Path(image_root), coco)


def _decode(segmentation: Any, h: int, w: int) -> np.ndarray:
    """A (H, W) uint8 mask from compressed RLE, uncompressed RLE or polygons."""
    if isinstance(segmentation, dict) and isinstance(segmentation["counts"], str):
        return mask_utils.decode(segmentation)
    rle = mask_utils.frPyObjects(segmentation, h, w)
    return mask_utils.decode(mask_utils.merge(rle) if isinstance(rle, list) else rle)


_IMAGE_FIELDS = {"id": int, "file_name": str, "height": int, "width": int}
_ANNOTATION_FIELDS = {"image_id": int, "category_id": int, "bbox": list,
                      "segmentation": (dict, list)}


def _check(path: Path, coco: Any) -> None:
    def fail(field: str, expected: str, got: Any) -> LabError:
        return LabError(f"{path}: {field} must be {expected}, got {str(got)[:60]!r}")

    if not isinstance(coco, dict):
        raise fail("the top level", "an object with images, annotations, categories", coco)
    for key in ("images", "annotations", "categories"):
        if not isinstance(coco.get(key), list):
            raise fail(key, "a list", coco.get(key))
    fields = {"images": _IMAGE_FIELDS, "annotations": _ANNOTATION_FIELDS,
              "categories": {"id": int, "name": str}}
    for key, kinds in fields.items():
        for i, item in enumerate(coco[key]):
            for name, kind in kinds.items():
                if not isinstance(item, dict) or not isinstance(item.get(name), kind):
                    got = item.get(name) if isinstance(item, dict) else item
                    raise fail(f"{key}[{i}].{name}", f"of type {kind}", got)
    for i, im in enumerate(coco["images"]):
        if not _inside_root(im["file_name"]):
            raise fail(f"images[{i}].file_name", "a relative path inside the image root "
                       "(no '..', not absolute)", im["file_name"])
        if min(im["height"], im["width"]) < 1:
            raise fail(f"images[{i}].height/width", "positive", [im["height"], im["width"]])
    images = {im["id"]: im for im in coco["images"]}
    if len(images) < len(coco["images"]):
        raise fail("images[].id", "unique", [im["id"] for im in coco["images"]])
    categories = {c["id"] for c in coco["categories"]}
    for i, ann in enumerate(coco["annotations"]):
        where = f"annotations[{i}]"
        if ann["image_id"] not in images:
            raise fail(f"{where}.image_id", "the id of an image", ann["image_id"])
        if ann["category_id"] not in categories:
            raise fail(f"{where}.category_id", "the id of a category", ann["category_id"])
        bbox = ann["bbox"]
        if len(bbox) != 4 or not all(_finite(v) for v in bbox) or min(bbox[2:]) < 0:
            raise fail(f"{where}.bbox", "[x, y, width >= 0, height >= 0]", bbox)
        im, seg = images[ann["image_id"]], ann["segmentation"]
        if isinstance(seg, dict) and seg.get("size") != [im["height"], im["width"]]:
            raise fail(f"{where}.segmentation.size", "the image's [height, width]", seg.get("size"))
        if isinstance(seg, dict) and not _rle_counts(seg.get("counts"), im["height"] * im["width"]):
            raise fail(f"{where}.segmentation.counts", "run lengths >= 0 (a list or COCO's RLE "
                       "string) that add up to height * width", seg.get("counts"))
        if isinstance(seg, list) and not _polygons(seg, max(im["height"], im["width"])):
            raise fail(f"{where}.segmentation", "a list of polygons [x1, y1, x2, y2, x3, y3, ...] "
                       "near the image", seg)


def _finite(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _inside_root(name: str) -> bool:
    """A relative path that names no parent folder (checked again after links when read)."""
    path = PurePosixPath(name)
    return (bool(name) and not path.is_absolute() and ".." not in path.parts
            and "\\" not in name and "\0" not in name and bool(path.parts))


def _rle_counts(counts: Any, pixels: int) -> bool:
    """Run lengths that cover the image exactly: pycocotools decodes fewer into a mask of
    uninitialised memory."""
    if isinstance(counts, str):
        counts = _string_counts(counts)
    return isinstance(counts, list) and all(
        isinstance(c, int) and not isinstance(c, bool) and 0 <= c < 2**31 for c in counts
    ) and sum(counts) == pixels


def _string_counts(text: str) -> list[int] | None:
    """The run lengths of COCO's compressed RLE string (pycocotools' rleFrString: 5 bits a
    character from '0', a sixth bit for "more", a sign bit in the last; from the third run on,
    each is stored as a difference from the run two before). None if it is not such a string."""
    counts: list[int] = []
    chars = iter(ord(ch) - 48 for ch in text)
    for first in chars:
        value, shift, c = 0, 0, first
        while True:
            if not 0 <= c < 64 or shift > 30:
                return None
            value |= (c & 0x1F) << shift
            shift += 5
            if not c & 0x20:
                break
            c = next(chars, -1)
        if c & 0x10:
            value -= 1 << shift  # negative: sign-extend
        counts.append(value + (counts[-2] if len(counts) > 2 else 0))
    return counts


def _polygons(seg: list[Any], size: int) -> bool:
    """Polygons of 3 points or more, within an image's size of the image (pycocotools'
    rasteriser allocates memory in proportion to the coordinates)."""
    return bool(seg) and all(isinstance(p, list) and len(p) >= 6 and len(p) % 2 == 0
                             and all(_finite(v) and -size <= v <= 2 * size for v in p)
                             for p in seg)
