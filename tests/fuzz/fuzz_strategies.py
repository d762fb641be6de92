"""Shared hypothesis strategies: JSON values, hostile text and mutations of valid documents."""

import copy
import string

from hypothesis import strategies as st

HOSTILE = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "../", "..", "/",
           "/etc/passwd", "\x00", "\\", "²", "٣", "\u202e", "nan", "NaN", "-1", "1e400", ".png",
           "latest", "~", "%2e%2e", "\n", "&amp;"]

hostile_text = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(HOSTILE + list(string.ascii_letters[:6])), max_size=6).map("".join),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                    st.floats(allow_nan=True, allow_infinity=True), hostile_text)
json_values = st.recursive(
    scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                     st.dictionaries(hostile_text, inner, max_size=4)),
    max_leaves=12)


def paths(doc, prefix=()):
    """Every path (tuple of keys and indices) into a JSON document, the root included."""
    yield prefix
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from paths(v, (*prefix, i))


@st.composite
def mutated(draw, doc):
    """`doc` (a JSON document) with 1-3 values replaced, deleted or added anywhere in it."""
    doc = copy.deepcopy(doc)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(paths(doc))))
        if not path:
            doc = draw(json_values)
            continue
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "add" and isinstance(parent, dict):
            parent[draw(hostile_text)] = draw(json_values)
        elif action == "add":
            parent.insert(path[-1], draw(json_values))
        else:
            parent[path[-1]] = draw(json_values)
    return doc
