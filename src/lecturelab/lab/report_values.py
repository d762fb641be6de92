"""A record's metrics, config or environment as readable HTML: nested key / value tables, a
{"mean", "std"} pair as "m +- s (std)", long lists shortened. Every key and value is escaped."""

from __future__ import annotations

from html import escape
from typing import Any

from lecturelab.lab.numbers import MAX_DEPTH, number, short, spread_of, with_spread

MAX_ROWS = 40  # entries of one table shown before "... n more"


def value_html(value: Any, depth: int = 0) -> str:
    """`value` (any JSON) as HTML."""
    found = spread_of(value)
    if found:
        rest = {k: v for k, v in value.items() if k not in ("mean", found[2])}
        extra = "".join(f", {k} {short(v)}" for k, v in rest.items())
        return escape(f"{with_spread(found[0], found[1])} ({found[2]}{extra})")
    if isinstance(value, dict) and value and depth < MAX_DEPTH:
        return table(list(value.items()), depth)
    if isinstance(value, list) and value and depth < MAX_DEPTH and \
            any(isinstance(v, dict | list) for v in value):
        return table([(f"[{i}]", v) for i, v in enumerate(value)], depth)
    if isinstance(value, list):
        return escape(short(value, limit=10, depth=depth))
    if isinstance(value, dict):
        return escape(short(value, depth=depth))
    return escape(number(value))


def table(items: list[tuple[Any, Any]], depth: int) -> str:
    rows = "".join(f"<tr><td>{escape(str(k))}</td><td>{value_html(v, depth + 1)}</td></tr>"
                   for k, v in items[:MAX_ROWS])
    if len(items) > MAX_ROWS:
        rows += f"<tr><td>...</td><td>{len(items) - MAX_ROWS} more</td></tr>"
    return f'<table class="kv">{rows}</table>'
