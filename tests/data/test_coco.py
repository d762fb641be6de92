"""COCO export / import: an exact round trip, polygons, and malformed files named precisely."""

import json

import numpy as np
import pycocotools.mask as mask_utils
import pytest
import torch
from PIL import Image

from lecturelab.data.coco import encode_masks, load_coco, save_coco, to_coco
from lecturelab.data.shapes import CLASSES, ShapesConfig, ShapesDataset


@pytest.fixture(scope="module")
def scenes():
    return ShapesDataset(8, ShapesConfig(size=32, max_objects=3), seed=5)


def test_round_trip_is_exact(scenes, tmp_path):
    path = save_coco(scenes, tmp_path)
    assert path == tmp_path / "annotations.json" and len(list(tmp_path.glob("images/*.png"))) == 8
    loaded = load_coco(path, tmp_path / "images")
    assert len(loaded) == 8 and loaded.classes == CLASSES
    for i in range(8):
        a, b = scenes[i], loaded[i]
        for field in ("image", "boxes", "labels", "masks", "semantic"):
            x, y = getattr(a, field), getattr(b, field)
            assert x.dtype == y.dtype and torch.equal(x, y), (i, field)
    images, targets = loaded.batch([0, 1])
    assert images.shape == (2, 3, 32, 32) and torch.equal(targets[1]["masks"], scenes[1].masks)


def test_annotations_follow_the_coco_format(scenes, tmp_path):
    coco = to_coco(scenes, tmp_path)
    assert [c["name"] for c in coco["categories"]] == list(CLASSES)
    assert [im["id"] for im in coco["images"]] == list(range(1, 9))
    ann = coco["annotations"][0]
    scene = scenes[coco["images"][0]["id"] - 1]
    x1, y1, x2, y2 = scene.boxes[0].tolist()
    assert ann["bbox"] == [x1, y1, x2 - x1, y2 - y1] and ann["iscrowd"] == 0
    assert ann["area"] == scene.masks[0].sum().item()
    rle = dict(ann["segmentation"], counts=ann["segmentation"]["counts"].encode())
    assert mask_utils.area(rle) == ann["area"]
    assert mask_utils.toBbox(rle).tolist() == ann["bbox"]  # boxes are tight pixel edges
    assert len({a["id"] for a in coco["annotations"]}) == len(coco["annotations"])


def test_polygons_and_uncompressed_rle_are_read(tmp_path):
    Image.new("RGB", (12, 10)).save(tmp_path / "a.png")
    square = np.zeros((10, 12), dtype=bool)
    square[2:6, 3:8] = True
    counts = encode_masks(torch.from_numpy(square)[None])[0]
    uncompressed = {"size": [10, 12], "counts": _uncompressed(square)}
    coco = {"images": [{"id": 7, "file_name": "a.png", "height": 10, "width": 12}],
            "categories": [{"id": 3, "name": "box"}],
            "annotations": [
                {"id": 1, "image_id": 7, "category_id": 3, "bbox": [3, 2, 5, 4],
                 "segmentation": [[3, 2, 8, 2, 8, 6, 3, 6]]},
                {"id": 2, "image_id": 7, "category_id": 3, "bbox": [3, 2, 5, 4],
                 "segmentation": uncompressed},
                {"id": 3, "image_id": 7, "category_id": 3, "bbox": [3, 2, 5, 4],
                 "segmentation": counts}]}
    (tmp_path / "c.json").write_text(json.dumps(coco))
    scene = load_coco(tmp_path / "c.json", tmp_path)[0]
    assert scene.labels.tolist() == [1, 1, 1]
    assert scene.boxes.tolist() == [[3, 2, 8, 6]] * 3
    for mask in scene.masks:
        assert (mask.numpy() == square).all()


def _uncompressed(mask):
    runs, value, run = [], False, 0
    for pixel in mask.T.flatten():  # column-major, starting with a run of zeros
        if pixel != value:
            runs.append(run)
            value, run = pixel, 0
        run += 1
    return [*runs, run]


def _good(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "a.png")
    rle = encode_masks(torch.ones(1, 4, 4, dtype=torch.bool))[0]
    return {"images": [{"id": 1, "file_name": "a.png", "height": 4, "width": 4}],
            "categories": [{"id": 1, "name": "thing"}],
            "annotations": [{"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 4],
                             "segmentation": rle}]}


@pytest.mark.parametrize("break_it, field", [
    (lambda c: c.pop("images"), "images must be a list"),
    (lambda c: c["images"][0].pop("height"), "images\\[0\\].height must be"),
    (lambda c: c["categories"][0].update(name=5), "categories\\[0\\].name must be"),
    (lambda c: c["annotations"][0].update(category_id=9), "annotations\\[0\\].category_id must"),
    (lambda c: c["annotations"][0].update(image_id=2), "annotations\\[0\\].image_id must"),
    (lambda c: c["annotations"][0].update(bbox=[0, 0, -1, 4]), "annotations\\[0\\].bbox must"),
    (lambda c: c["annotations"][0].pop("segmentation"), "annotations\\[0\\].segmentation must"),
    (lambda c: c["annotations"][0]["segmentation"].update(size=[5, 4]),
     "annotations\\[0\\].segmentation.size must"),
])
def test_malformed_files_name_the_file_and_field(tmp_path, break_it, field):
    coco = _good(tmp_path)
    break_it(coco)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=f"bad.json: {field}"):
        load_coco(path, tmp_path)


def test_invalid_json_and_wrong_image_size(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{\"images\": [")
    with pytest.raises(ValueError, match="broken.json: not valid JSON"):
        load_coco(path, tmp_path)
    coco = _good(tmp_path)
    coco["images"][0]["height"], coco["annotations"] = 5, []  # RLE counts would not cover 5 rows
    path.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match="broken.json: images\\[0\\] height/width"):
        load_coco(path, tmp_path)[0]
