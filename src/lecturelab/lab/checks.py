"""Checks as data: a criterion of CLAIMS.md as a measured value, a comparison and a threshold.

A `Check` computes `passed` itself from the value it was given, so a verdict can only come from a
measurement. Build one with the constructor that says the comparison in the ledger's words:

    Check.at_least("AP50 of the anchor detector", ap50, 0.8)
    Check.at_most("best single line accuracy", linear_acc, 0.75)
    Check.between("test-error peak p / n", ratio, 0.5, 2.0)
    Check.equal("linear pieces of the depth-10 net", pieces, 1024)
    Check.holds("no line separates the 4 XOR points (LP infeasible)", not feasible)

NaN never passes; a threshold must be finite (a check against -inf could not fail). Facts that
cannot fail (a config value, a count fixed by construction) are `Result.notes`, not checks.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any

Scalar = float | int | bool | str

SYMBOLS = {"at least": ">=", "at most": "<=", "above": ">", "below": "<", "between": "in",
           "equal": "==", "holds": "is"}


def plain(value: Any, what: str) -> Scalar:
    """A Python scalar from a float, int, bool, str, numpy scalar or one-element tensor."""
    if hasattr(value, "item") and not isinstance(value, Scalar):
        try:
            value = value.item()
        except (ValueError, RuntimeError):
            raise TypeError(f"{what} must be one value, got shape {tuple(value.shape)}") from None
    if isinstance(value, bool | str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    raise TypeError(f"{what} must be a number, bool or str, got {type(value).__name__}")


def fmt(value: Any) -> str:
    """A value as the lab book prints it: four significant digits for floats."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(fmt(v) for v in value) + "]"
    return str(value)


@dataclass(frozen=True)
class Check:
    """One criterion of a claim: the measured `value` compared with `threshold`.

    `comparison` is one of "at least", "at most", "above", "below", "between" (threshold is
    [low, high]), "equal" (within `tolerance`) or "holds" (value is the bool True).
    `passed` and `measured` are computed, never given.
    """

    name: str
    value: Any
    comparison: str
    threshold: Any
    tolerance: float = 0.0
    detail: str = ""  # context for the reader, e.g. "12/20 seeds"
    passed: bool = field(init=False)
    measured: str = field(init=False)

    def __post_init__(self) -> None:
        if self.comparison not in SYMBOLS:
            raise ValueError(f"check {self.name!r}: unknown comparison {self.comparison!r}; "
                             f"expected one of {', '.join(SYMBOLS)}")
        value = plain(self.value, f"check {self.name!r}: the measured value")
        threshold = self._plain_threshold()
        object.__setattr__(self, "value", value)
        object.__setattr__(self, "threshold", threshold)
        object.__setattr__(self, "passed", self._compare(value, threshold))
        text = f"{fmt(value)} {SYMBOLS[self.comparison]} {fmt(threshold)}"
        if self.tolerance:
            text += f" +- {fmt(self.tolerance)}"
        object.__setattr__(self, "measured", text + (f"; {self.detail}" if self.detail else ""))

    def _plain_threshold(self) -> Any:
        what = f"check {self.name!r}: the threshold"
        if self.comparison == "between":
            low, high = (plain(t, what) for t in self.threshold)
            bounds: Any = [low, high]
        else:
            bounds = [plain(self.threshold, what)]
        for b in bounds:
            if isinstance(b, float) and not math.isfinite(b):
                raise ValueError(f"{what} must be finite, got {b} (such a check cannot fail)")
        if self.comparison == "holds" and bounds != [True]:
            raise ValueError(f"{what} of a 'holds' check is True")
        return bounds if self.comparison == "between" else bounds[0]

    def _compare(self, value: Scalar, threshold: Any) -> bool:
        if self.comparison == "holds":
            if not isinstance(value, bool):
                raise TypeError(f"check {self.name!r}: 'holds' needs a bool, got {value!r}")
            return value
        if self.comparison == "equal" and isinstance(value, str):
            return value == threshold
        if isinstance(value, str) or (isinstance(value, float) and math.isnan(value)):
            return False  # NaN (and text against a number) never passes
        return bool(COMPARE[self.comparison](value, threshold, self.tolerance))

    @classmethod
    def at_least(cls, name: str, value: Any, threshold: Any, detail: str = "") -> Check:
        return cls(name, value, "at least", threshold, detail=detail)

    @classmethod
    def at_most(cls, name: str, value: Any, threshold: Any, detail: str = "") -> Check:
        return cls(name, value, "at most", threshold, detail=detail)

    @classmethod
    def above(cls, name: str, value: Any, threshold: Any, detail: str = "") -> Check:
        return cls(name, value, "above", threshold, detail=detail)

    @classmethod
    def below(cls, name: str, value: Any, threshold: Any, detail: str = "") -> Check:
        return cls(name, value, "below", threshold, detail=detail)

    @classmethod
    def between(cls, name: str, value: Any, low: Any, high: Any, detail: str = "") -> Check:
        return cls(name, value, "between", (low, high), detail=detail)

    @classmethod
    def equal(cls, name: str, value: Any, expected: Any, *, tolerance: float = 0.0,
              detail: str = "") -> Check:
        return cls(name, value, "equal", expected, tolerance=tolerance, detail=detail)

    @classmethod
    def holds(cls, name: str, value: Any, detail: str = "") -> Check:
        """A measured yes/no fact that the criterion needs to be true."""
        return cls(name, value, "holds", True, detail=detail)

    def as_record(self) -> dict[str, Any]:
        """The check as result.json stores it (non-finite values as text: JSON has no NaN)."""
        return {"name": self.name, "value": self.value, "comparison": self.comparison,
                "threshold": self.threshold, "tolerance": self.tolerance,
                "detail": self.detail, "passed": self.passed, "measured": self.measured}


COMPARE = {
    "at least": lambda v, t, tol: v >= t,
    "at most": lambda v, t, tol: v <= t,
    "above": lambda v, t, tol: v > t,
    "below": lambda v, t, tol: v < t,
    "between": lambda v, t, tol: t[0] <= v <= t[1],
    "equal": lambda v, t, tol: abs(v - t) <= tol,
}
