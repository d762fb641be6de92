"""Numbers as the lab book and `lecturelab compare` print them: short, with their uncertainty.

A value with a standard deviation or standard error is rounded to the uncertainty's first two
significant digits ("0.0070 +- 0.0020"), the convention of the Guide to the Expression of
Uncertainty in Measurement (JCGM 100:2008, Sec. 7.2.6). Everything returns plain text; the
caller escapes it for HTML.
"""

from __future__ import annotations

import math
import re
from typing import Any

PM = "\u00b1"  # the plus-minus sign
SPREAD_KEYS = ("std", "se", "sem", "stderr")  # a dict {"mean": m, <one of these>: s} is m +- s
MAX_DEPTH = 4  # nesting shown before "..."
DETAIL_SPREAD = re.compile(r"^\s*(?:\+-|\+/-|\u00b1)\s*([0-9.]+(?:e[-+]?\d+)?)", re.IGNORECASE)


def number(value: Any) -> str:
    """A scalar in at most four significant digits; whole numbers with thousands separators."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if value == 0:
            return "0"
        if value.is_integer() and abs(value) < 1e15:
            return number(int(value))
        if abs(value) >= 1e5 or abs(value) < 1e-3:
            return f"{value:.3g}"
        return f"{value:.4g}"
    return str(value)


def with_spread(value: float, spread: float) -> str:
    """`value +- spread`, both rounded to the spread's second significant digit."""
    if not (math.isfinite(value) and math.isfinite(spread)) or spread <= 0:
        return number(value)
    decimals = 1 - math.floor(math.log10(spread))  # two significant digits of the spread
    if decimals < 0 or decimals > 8 or abs(value) >= 1e5:
        return f"{value:.3g} {PM} {spread:.2g}"
    return f"{value:.{decimals}f} {PM} {spread:.{decimals}f}"


def spread_of(entry: Any) -> tuple[float, float, str] | None:
    """(mean, spread, its name) if `entry` is a {"mean": m, "std" | "se" | ...: s} dict."""
    if not isinstance(entry, dict) or not is_real(entry.get("mean")):
        return None
    for key in SPREAD_KEYS:
        if is_real(entry.get(key)):
            return float(entry["mean"]), float(entry[key]), key
    return None


def is_real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_spread(check: dict[str, Any], metrics: dict[str, Any]) -> float | None:
    """The uncertainty of a check's measured value, if the run recorded one: a detail that
    starts with "+- s", or a metric {"mean": value, "std": s} whose mean is that value."""
    value = check.get("value")
    if not is_real(value):
        return None
    found = DETAIL_SPREAD.match(check["detail"]) if isinstance(check.get("detail"), str) else None
    if found:
        try:
            return float(found.group(1))
        except ValueError:
            return None
    for entry in metrics.values():
        spread = spread_of(entry)
        if spread and math.isclose(spread[0], value, rel_tol=1e-12, abs_tol=0.0):
            return spread[1]
    return None


def measured(check: dict[str, Any], metrics: dict[str, Any]) -> str:
    """A check's measured value, with its uncertainty where the run recorded one."""
    spread = check_spread(check, metrics)
    value = check.get("value")
    return with_spread(float(value), spread) if spread is not None else short(value)


def criterion(check: dict[str, Any]) -> str:
    """A check's comparison and threshold in words: "at least 0.8", "in [0.5, 2]"."""
    comparison, threshold = check.get("comparison"), check.get("threshold")
    if comparison == "holds":
        return "must hold"
    if comparison == "between" and isinstance(threshold, list) and len(threshold) == 2:
        text = f"in [{short(threshold[0])}, {short(threshold[1])}]"
    else:
        words = "equal to" if comparison == "equal" else short(comparison)
        text = f"{words} {short(threshold)}"
    tolerance = check.get("tolerance")
    return text + (f" {PM} {short(tolerance)}" if tolerance else "")


def short(value: Any, limit: int = 6, depth: int = 0) -> str:
    """Any JSON value on one line: scalars by `number`, lists cut after `limit` entries,
    nesting deeper than MAX_DEPTH as "..."."""
    found = spread_of(value)
    if found:
        return with_spread(found[0], found[1])
    if isinstance(value, list | dict) and depth >= MAX_DEPTH:
        return "..."
    if isinstance(value, list):
        more = f", ... ({len(value)} values)" if len(value) > limit else ""
        return "[" + ", ".join(short(v, limit, depth + 1) for v in value[:limit]) + more + "]"
    if isinstance(value, dict):
        items = list(value.items())
        more = f", ... ({len(items)} entries)" if len(items) > limit else ""
        return "{" + ", ".join(f"{k}: {short(v, limit, depth + 1)}"
                               for k, v in items[:limit]) + more + "}"
    return number(value)
