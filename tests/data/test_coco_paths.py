"""Issue 10, item 3: a COCO file cannot read images from outside its image root, and a bad
image or segmentation fails with one line naming the file."""

import json

import pytest
from PIL import Image

from lecturelab.data.coco import load_coco
from lecturelab.errors import LabError


def coco_file(tmp_path, file_name, segmentation=None, **image):
    ann = [] if segmentation is None else [
        {"id": 9, "image_id": 1, "category_id": 1, "bbox": [0, 0, 2, 2],
         "segmentation": segmentation}]
    coco = {"images": [{"id": 1, "file_name": file_name, "height": 4, "width": 4, **image}],
            "categories": [{"id": 1, "name": "box"}], "annotations": ann}
    path = tmp_path / "annotations.json"
    path.write_text(json.dumps(coco))
    return path


@pytest.fixture
def root(tmp_path):
    """tmp/root/images/{a.png, sub/b.png} and tmp/secret.png outside the root."""
    (tmp_path / "root" / "images" / "sub").mkdir(parents=True)
    for path in ("root/images/a.png", "root/images/sub/b.png", "secret.png"):
        Image.new("RGB", (4, 4)).save(tmp_path / path)
    return tmp_path / "root" / "images"


@pytest.mark.parametrize("name", ["../../secret.png", "sub/../../../secret.png", "/etc/passwd",
                                  "", "sub\\..\\..\\secret.png"])
def test_a_file_name_leaving_the_root_is_refused_when_opened(tmp_path, root, name):
    path = coco_file(tmp_path, name)
    with pytest.raises(LabError, match=r"annotations\.json: images\[0\]\.file_name must be a "
                                       r"relative path inside the image root"):
        load_coco(path, root)


def test_a_link_out_of_the_root_is_refused_when_read(tmp_path, root):
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    data = load_coco(coco_file(tmp_path, "link.png"), root)
    with pytest.raises(LabError, match=r"images\[0\]\.file_name 'link.png' lies outside the "
                                       "image root"):
        data[0]


def test_relative_names_inside_the_root_still_work(tmp_path, root):
    assert load_coco(coco_file(tmp_path, "sub/b.png"), root)[0].image.shape == (3, 4, 4)
    assert load_coco(coco_file(tmp_path, "./a.png"), root)[0].image.shape == (3, 4, 4)


def test_a_broken_image_is_named(tmp_path, root):
    (root / "bad.png").write_bytes(b"not a png")
    data = load_coco(coco_file(tmp_path, "bad.png"), root)
    with pytest.raises(LabError, match=r"annotations\.json: images\[0\] cannot be read from "
                                       r".*bad\.png"):
        data[0]


@pytest.mark.parametrize("segmentation", [
    [[1, 1, 2, 2]], [], [[1e308, 0, 0, 0, 1, 1]], {"size": [4, 4], "counts": [-1, 17]},
    {"size": [4, 4], "counts": 5}, {"size": [4, 4], "counts": "é"}, {"size": [4, 5]},
])
def test_a_bad_segmentation_is_refused_when_opened(tmp_path, root, segmentation):
    with pytest.raises(LabError, match=r"annotations\.json: annotations\[0\]\.segmentation"):
        load_coco(coco_file(tmp_path, "a.png", segmentation), root)


@pytest.mark.parametrize("counts", [[100, 100], [3], [3, 4], "PPPPPPPP", "0", "P"])
def test_rle_counts_not_covering_the_image_exactly_are_refused(tmp_path, root, counts):
    """pycocotools would decode [3] on a 4x4 image into a mask of uninitialised memory."""
    with pytest.raises(LabError, match=r"annotations\[0\]\.segmentation\.counts must be run "
                                       "lengths >= 0"):
        load_coco(coco_file(tmp_path, "a.png", {"size": [4, 4], "counts": counts}), root)


def test_a_segmentation_that_cannot_be_decoded_is_named_when_read(tmp_path, root, monkeypatch):
    data = load_coco(coco_file(tmp_path, "a.png", [[0, 0, 3, 0, 3, 3]]), root)

    def broken(*args):
        raise Exception("input type is not supported.")  # what pycocotools raises

    monkeypatch.setattr("pycocotools.mask.frPyObjects", broken)
    with pytest.raises(LabError, match="the segmentation of annotation id 9 cannot be decoded: "
                                       "input type is not supported"):
        data[0]


def test_json_that_is_not_utf8_or_nests_too_deep_is_named(tmp_path, root):
    path = tmp_path / "annotations.json"
    for data in (b"\xff\xfe{}", b"[" * 100_000):
        path.write_bytes(data)
        with pytest.raises(LabError, match=r"annotations\.json: not valid JSON"):
            load_coco(path, root)


def test_a_symlink_loop_is_refused_not_crashed_on(tmp_path, root):
    (root / "loop.png").symlink_to("loop.png")
    data = load_coco(coco_file(tmp_path, "loop.png"), root)
    with pytest.raises(LabError, match="lies outside the image root"):
        data[0]
