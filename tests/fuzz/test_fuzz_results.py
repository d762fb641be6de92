"""Fuzz result.json: whatever metrics and notes an experiment returns, its record is strict
JSON (no NaN token), reads back equal, shows in the lab book, and is "error" (naming the value)
exactly when it holds something JSON cannot."""

import itertools
import json
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from fuzz_strategies import hostile_text
from hypothesis import given
from hypothesis import strategies as st

from lecturelab.lab import Check, ExperimentSpec, Result, Run
from lecturelab.lab.records import checked
from lecturelab.lab.report import write_report
from lecturelab.lab.runner import run_one

pytestmark = pytest.mark.stress
COUNTER = itertools.count()


class Opaque:
    pass


UNWRITABLE = st.one_of(st.sets(st.integers(), max_size=2), st.binary(max_size=3),
                       st.builds(Opaque), st.complex_numbers(max_magnitude=10),
                       st.just(np.array([Opaque()])))
floats = st.floats(allow_nan=True, allow_infinity=True)
writable = st.one_of(
    st.none(), st.booleans(), st.integers(-2**70, 2**70), floats, hostile_text,
    st.floats(width=32).map(np.float32), st.integers(-99, 99).map(np.int64),
    st.lists(floats, max_size=3).map(np.array), st.lists(floats, max_size=3).map(torch.tensor))
values = st.recursive(
    st.one_of(writable, UNWRITABLE),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.tuples(inner, inner),
                            st.dictionaries(st.one_of(hostile_text, st.integers()), inner,
                                            max_size=3)),
    max_leaves=8)


@dataclass(frozen=True)
class Cfg:
    n: int = 1  # unused


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("lecturelab.lab.runner.environment", lambda: {"torch": torch.__version__})
        yield tmp_path_factory.mktemp("results")


def holds_unwritable(value):
    if isinstance(value, dict):
        return any(holds_unwritable(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(holds_unwritable(v) for v in value)
    if isinstance(value, np.ndarray):
        return value.dtype.hasobject and holds_unwritable(value.tolist())
    return isinstance(value, set | bytes | Opaque | complex)


def no_constant(name):
    raise AssertionError(f"result.json holds the non-JSON constant {name}")


@given(metrics=st.dictionaries(hostile_text, values, max_size=3),
       notes=st.lists(st.one_of(hostile_text, values), max_size=2))
def test_any_metrics_give_a_strict_json_record(out, metrics, notes):
    def fn(cfg: Cfg, run: Run) -> Result:
        x = float(torch.ones(()).item())
        return Result(metrics=metrics, notes=notes, checks=[Check.above("x", x, 0)])

    spec = ExperimentSpec("l2.f", 2, "claim", "criterion", fn,
                          {"quick": Cfg(), "full": Cfg(), "smoke": Cfg()})
    run_dir = out / f"run{next(COUNTER)}"
    record = run_one(spec, "quick", 0, torch.device("cpu"), run_dir)
    text = (run_dir / "l2.f" / "result.json").read_text()
    assert json.loads(text, parse_constant=no_constant) == record
    if holds_unwritable(metrics) or holds_unwritable(notes):
        assert record["verdict"] == "error" and "JSON cannot hold" in record["error"]
        assert "\n" not in record["error"]
    else:
        assert record["verdict"] == "reproduced", record.get("traceback")
    assert checked(record, "l2.f") is record  # a well-formed record, not "malformed"
    assert '<span class="malformed">' not in write_report(run_dir).read_text()
