"""Issue 10, item 1: nothing in the source tree unpickles, except the CIFAR-10 batch reader.

Unpickling runs code named by the file. The one allowed use is `BatchUnpickler` in
data/cifar10_files.py, which admits only numpy arrays and plain containers; `torch.load` must
pass `weights_only=True`, `np.load` must not pass `allow_pickle=True`.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("src", "benchmarks", "scripts", "tests")
UNPICKLERS = {"pickle": {"load", "loads", "Unpickler", "_Unpickler", "_load", "_loads"},
              "cPickle": {"load", "loads", "Unpickler"}, "dill": {"load", "loads"},
              "cloudpickle": {"load", "loads"}, "joblib": {"load"}, "shelve": {"open"},
              "pandas": {"read_pickle"}, "pd": {"read_pickle"}}
ALLOWED = {("src/lecturelab/data/cifar10_files.py", "pickle.Unpickler")}


def python_files():
    for tree in TREES:
        yield from sorted((ROOT / tree).rglob("*.py"))


def dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    return None


def unpickling_uses(tree):
    """(name, line) of every unpickling function or class the module reaches by name."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in UNPICKLERS:
            for alias in node.names:
                if alias.name in UNPICKLERS[node.module] or alias.name == "*":
                    yield f"{node.module}.{alias.name}", node.lineno
        name = dotted(node) if isinstance(node, ast.Attribute) else None
        if name and name.count(".") == 1:
            module, attr = name.split(".")
            if attr in UNPICKLERS.get(module, ()):
                yield name, node.lineno


def keyword(call, name):
    return next((k.value for k in call.keywords if k.arg == name), None)


def unsafe_loads(tree):
    """(what, line) of torch.load without weights_only=True and of allow_pickle not False."""
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "torch":
            yield from (("from torch import load", node.lineno)
                        for a in node.names if a.name == "load")
        if not isinstance(node, ast.Call):
            continue
        weights_only = keyword(node, "weights_only")
        if dotted(node.func) in ("torch.load", "torch.serialization.load") and not (
                isinstance(weights_only, ast.Constant) and weights_only.value is True):
            yield "torch.load without weights_only=True", node.lineno
        allow = keyword(node, "allow_pickle")
        if allow is not None and not (isinstance(allow, ast.Constant) and allow.value is False):
            yield f"allow_pickle={ast.unparse(allow)}", node.lineno


def scan(find):
    found = set()
    for path in python_files():
        rel = path.relative_to(ROOT).as_posix()
        found |= {(rel, what) for what, _ in find(ast.parse(path.read_text()))}
    return found


def test_the_batch_reader_is_the_only_unpickler():
    assert scan(unpickling_uses) == ALLOWED


def test_torch_load_is_weights_only_and_numpy_never_allows_pickles():
    assert scan(unsafe_loads) == set()


def test_the_scans_see_what_they_forbid():
    """The scans find the uses they forbid, so their empty answers above mean something."""
    tree = ast.parse("import pickle, torch, numpy as np\nfrom pickle import loads\n"
                     "pickle.load(f)\ntorch.load(p)\ntorch.load(p, weights_only=True)\n"
                     "np.load(p, allow_pickle=True)\nnp.load(p, allow_pickle=False)\n"
                     "torch.serialization.load(p, weights_only=x)\nfrom torch import load\n")
    assert sorted(unpickling_uses(tree)) == [("pickle.load", 3), ("pickle.loads", 2)]
    assert sorted(unsafe_loads(tree), key=lambda u: u[1]) == [
        ("torch.load without weights_only=True", 4), ("allow_pickle=True", 6),
        ("torch.load without weights_only=True", 8), ("from torch import load", 9)]


def test_no_source_text_names_pickle_load_or_allow_pickle_true():
    """A plain text search as well, for uses the syntax tree does not show (strings, exec)."""
    this = Path(__file__).resolve()
    hits = [f"{path.relative_to(ROOT)}:{n}" for path in python_files() if path != this
            for n, line in enumerate(path.read_text().splitlines(), 1)
            if "pickle.load" in line or "allow_pickle=True" in line]
    assert hits == []
