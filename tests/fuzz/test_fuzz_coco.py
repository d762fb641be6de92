"""Fuzz the COCO reader: any JSON, and valid files mutated anywhere, load and read or fail with
one line of ValueError (LabError is one); no file outside the image root is ever opened."""

import json
from pathlib import Path

import pytest
from fuzz_strategies import HOSTILE, json_values, mutated
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from lecturelab.data import coco

pytestmark = pytest.mark.stress
POLYGON = [[0, 0, 3, 0, 3, 3, 0, 3]]
RLE = {"size": [4, 4], "counts": [5, 6, 5]}
COMPRESSED = coco.encode_masks(__import__("torch").ones((1, 4, 4), dtype=bool))[0]
VALID = {
    "images": [{"id": 1, "file_name": "a.png", "height": 4, "width": 4},
               {"id": 2, "file_name": "sub/b.png", "height": 4, "width": 4}],
    "categories": [{"id": 1, "name": "box"}, {"id": 5, "name": "disc"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 3, 3], "segmentation": POLYGON},
        {"id": 2, "image_id": 2, "category_id": 5, "bbox": [1, 1, 2, 2], "segmentation": RLE},
        {"id": 3, "image_id": 2, "category_id": 1, "bbox": [0, 0, 4, 4],
         "segmentation": COMPRESSED}],
}
file_names = st.lists(st.sampled_from(["a.png", "sub", "b.png", "secret.png", *HOSTILE]),
                      min_size=1, max_size=5).map("/".join)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """root/{a.png, sub/b.png, link.png -> ../secret.png}, secret.png outside the root."""
    base = tmp_path_factory.mktemp("coco")
    (base / "root" / "sub").mkdir(parents=True)
    for name in ("root/a.png", "root/sub/b.png", "secret.png"):
        Image.new("RGB", (4, 4), (9, 9, 9)).save(base / name)
    (base / "root" / "link.png").symlink_to(base / "secret.png")
    return base


@pytest.fixture(scope="module")
def opened(folder):
    """The paths Image.open is asked for, as they resolve."""
    seen = []
    real = Image.open

    def spy(path, *args, **kwargs):
        seen.append(Path(path).resolve())
        return real(path, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(coco.Image, "open", spy)
        yield seen


def load_and_read_all(folder, opened, doc):
    path = folder / "annotations.json"
    path.write_text(json.dumps(doc))
    opened.clear()
    try:
        data = coco.load_coco(path, folder / "root")
        scenes = [data[i] for i in range(len(data))]
    except ValueError as e:
        assert "\n" not in str(e) and str(path) in str(e), str(e)
        scenes = None
    root = (folder / "root").resolve()
    assert all(p.is_relative_to(root) for p in opened), opened
    return scenes


def test_the_valid_file_reads(folder, opened):
    scenes = load_and_read_all(folder, opened, VALID)
    assert [len(s.labels) for s in scenes] == [1, 2] and scenes[1].masks[0].sum() == 6


@given(json_values)
def test_any_json_loads_or_fails_in_one_line(folder, opened, doc):
    load_and_read_all(folder, opened, doc)


@given(mutated(VALID))
def test_a_mutated_file_loads_or_fails_in_one_line(folder, opened, doc):
    load_and_read_all(folder, opened, doc)


@given(st.lists(st.one_of(file_names, st.just("link.png")), min_size=2, max_size=2))
def test_no_file_name_reads_outside_the_root(folder, opened, names):
    doc = json.loads(json.dumps(VALID))
    for image, name in zip(doc["images"], names, strict=True):
        image["file_name"] = name
    load_and_read_all(folder, opened, doc)
