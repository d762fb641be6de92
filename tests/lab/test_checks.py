"""Checks as data: passed is computed from value, comparison and threshold; NaN never passes."""

import math

import numpy as np
import pytest
import torch

from lecturelab.lab import Check, Result


@pytest.mark.parametrize("make, value, expected", [
    (lambda v: Check.at_least("x", v, 0.7), 0.7, True),
    (lambda v: Check.at_least("x", v, 0.7), 0.69, False),
    (lambda v: Check.at_most("x", v, 0.4), 0.4, True),
    (lambda v: Check.at_most("x", v, 0.4), 0.41, False),
    (lambda v: Check.above("x", v, 0), 0.0, False),
    (lambda v: Check.above("x", v, 0), 1e-9, True),
    (lambda v: Check.below("x", v, 1), 1, False),
    (lambda v: Check.between("x", v, 0.5, 2), 2.0, True),
    (lambda v: Check.between("x", v, 0.5, 2), 0.49, False),
    (lambda v: Check.equal("x", v, 1024), 1024, True),
    (lambda v: Check.equal("x", v, 1024), 1023, False),
    (lambda v: Check.equal("x", v, 1.0, tolerance=1e-6), 1.0 + 1e-7, True),
    (lambda v: Check.equal("x", v, 1.0, tolerance=1e-6), 1.0 + 1e-5, False),
    (lambda v: Check.holds("x", v), True, True),
    (lambda v: Check.holds("x", v), False, False),
])
def test_passed_is_computed_from_the_value(make, value, expected):
    check = make(value)
    assert check.passed is expected
    assert check.value == value


@pytest.mark.parametrize("make", [
    lambda v: Check.at_least("x", v, 0.0), lambda v: Check.at_most("x", v, 1.0),
    lambda v: Check.between("x", v, -1, 1), lambda v: Check.equal("x", v, 0.0, tolerance=1),
    lambda v: Check.above("x", v, -1), lambda v: Check.below("x", v, 1),
])
def test_nan_never_passes(make):
    assert make(math.nan).passed is False
    assert make(torch.tensor(float("nan"))).passed is False


def test_numpy_and_torch_scalars_become_plain_values():
    check = Check.at_least("x", np.float32(0.5), torch.tensor(0.25))
    assert type(check.value) is float and type(check.threshold) is float and check.passed
    assert Check.holds("x", np.bool_(True)).value is True
    assert type(Check.equal("n", np.int64(3), 3).value) is int


def test_a_check_that_cannot_fail_is_refused():
    with pytest.raises(ValueError, match="cannot fail"):
        Check.at_least("x", 0.3, -math.inf)
    with pytest.raises(ValueError, match="cannot fail"):
        Check.between("x", 0.3, -math.inf, math.inf)
    with pytest.raises(ValueError, match="unknown comparison"):
        Check("x", 1.0, "roughly", 1.0)


def test_bad_values_name_the_check():
    with pytest.raises(TypeError, match="'curve'.*one value"):
        Check.at_least("curve", torch.ones(3), 0.5)
    with pytest.raises(TypeError, match="'flag'.*bool"):
        Check.holds("flag", 1.0)
    with pytest.raises(TypeError, match="'obj'"):
        Check.at_least("obj", object(), 1)


def test_measured_text_and_record_say_value_against_threshold():
    check = Check.at_least("AP50", 0.7123, 0.8, detail="3 seeds")
    assert check.measured == "0.7123 >= 0.8; 3 seeds"
    record = check.as_record()
    assert record == {"name": "AP50", "value": 0.7123, "comparison": "at least",
                      "threshold": 0.8, "tolerance": 0.0, "detail": "3 seeds",
                      "passed": False, "measured": "0.7123 >= 0.8; 3 seeds"}
    assert Check.between("r", 1.0, 0.5, 2).as_record()["threshold"] == [0.5, 2]


def test_passed_and_measured_cannot_be_given():
    with pytest.raises(TypeError):
        Check("x", 1.0, "at least", 0.5, passed=True)  # type: ignore[call-arg]


def test_verdict_needs_every_check_and_keeps_notes():
    good, bad = Check.at_least("a", 1, 0), Check.at_least("b", -1, 0)
    assert Result({}, [good]).verdict == "reproduced"
    assert Result({}, [good, bad], notes=["20 seeds"]).verdict == "not reproduced"
    with pytest.raises(ValueError):
        Result({}, []).verdict  # noqa: B018
