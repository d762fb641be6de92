"""No experiment's check can pass without a measurement (CLAIMS.md: verdicts are computed).

Read from the source, so it holds by construction for every profile: each `Check` is built by
one of the comparison constructors, and the value it compares is an expression computed by the
experiment, never a literal or a field of the config (restating the config is a note).
"""

import ast
from pathlib import Path

import pytest

import lecturelab.experiments

ROOT = Path(lecturelab.experiments.__file__).parent
FILES = sorted(ROOT.rglob("*.py"))
CONSTRUCTORS = {"at_least", "at_most", "above", "below", "between", "equal", "holds"}


def check_calls(tree: ast.AST) -> list[ast.Call]:
    calls = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Name) and f.id == "Check":
            calls.append(node)
        elif isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) \
                and f.value.id == "Check":
            calls.append(node)
    return calls


def value_argument(call: ast.Call) -> ast.expr | None:
    if len(call.args) >= 2:
        return call.args[1]
    return next((k.value for k in call.keywords if k.arg == "value"), None)


def restates_config(node: ast.expr) -> bool:
    """`cfg.seeds`, `cfg.sims >= 64`, `not cfg.x`: a config field, unmeasured."""
    names = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    calls = [n for n in ast.walk(node) if isinstance(n, ast.Call)]
    return bool(names) and names <= {"cfg", "config"} and not calls


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(ROOT)) for p in FILES])
def test_checks_compare_a_measured_value(path):
    problems = []
    for call in check_calls(ast.parse(path.read_text())):
        where = f"{path.name}:{call.lineno}"
        f = call.func
        if not (isinstance(f, ast.Attribute) and f.attr in CONSTRUCTORS):
            problems.append(f"{where}: build checks with Check.{sorted(CONSTRUCTORS)}")
            continue
        value = value_argument(call)
        if value is None or isinstance(value, ast.Constant) or not any(
                isinstance(n, ast.Name) for n in ast.walk(value)):
            problems.append(f"{where}: the value is a constant, not a measurement")
        elif restates_config(value):
            problems.append(f"{where}: the value restates the config; make it a note")
    assert not problems, "\n".join(problems)
