"""Fuzz the CIFAR-10 batch reader: pickles of arbitrary objects, and real-looking batches with
bytes flipped, cut or inserted, load or fail with one line of ValueError naming the file."""

import itertools
import os
import pickle

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lecturelab.data.cifar10_files import read_python_batches

pytestmark = pytest.mark.stress
COUNTER = itertools.count()
RNG = np.random.default_rng(0)
BATCH = {b"batch_label": b"training batch 1 of 5", b"labels": [3, 7],
         b"data": RNG.integers(0, 256, (2, 3072), dtype=np.uint8), b"filenames": [b"a.png"] * 2}


class Opaque:
    pass


objects = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=5),
              st.binary(max_size=5), st.builds(Opaque), st.just(os.getcwd),
              st.just(np.zeros(3, np.uint8)), st.just(np.array(["x"], object))),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner), st.sets(st.integers()),
                            st.dictionaries(st.sampled_from([b"data", b"labels", "x"]), inner,
                                            max_size=3)),
    max_leaves=6)


@st.composite
def damaged(draw):
    """The pickle of a good batch (protocol 0-5) with up to 3 bytes changed, cut or added."""
    data = bytearray(pickle.dumps(BATCH, protocol=draw(st.integers(0, 5))))
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(data) - 1))
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        if action == "flip":
            data[at] = draw(st.integers(0, 255))
        elif action == "cut":
            del data[at:]
        else:
            data[at:at] = draw(st.binary(min_size=1, max_size=3))
        if not data:
            break
    return bytes(data)


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    return tmp_path_factory.mktemp("batches")


def read(base, first):
    """Batches data_batch_1..5 and test_batch whose data_batch_1 is `first`."""
    folder = base / f"b{next(COUNTER)}"
    folder.mkdir()
    good = pickle.dumps(BATCH)
    for name in [f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]:
        (folder / name).write_bytes(first if name == "data_batch_1" else good)
    try:
        arrays = read_python_batches(folder)
    except ValueError as e:
        assert "\n" not in str(e) and "data_batch_1" in str(e), str(e)
        return None
    assert arrays["x_train"].dtype == np.uint8 and arrays["x_train"].shape[1:] == (3, 32, 32)
    assert set(arrays["y_train"].tolist()) <= set(range(10))
    return arrays


@given(objects, st.integers(0, 5))
def test_a_pickle_of_anything_loads_or_is_refused(base, obj, protocol):
    try:
        data = pickle.dumps(obj, protocol=protocol)
    except (pickle.PicklingError, AttributeError, TypeError):
        return  # not picklable: nothing to read
    arrays = read(base, data)
    assert arrays is None or isinstance(obj, dict)


@given(damaged())
def test_a_damaged_batch_loads_or_is_refused(base, data):
    read(base, data)
