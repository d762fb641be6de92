"""The docs match the tree: every `path:symbol` in CONCEPTS.md exists, every experiment id in
it is registered (or marked as still missing), and the README's layout names every package."""

import ast
import re
from pathlib import Path

import pytest

from lecturelab.lab import list_experiments

ROOT = Path(__file__).resolve().parents[1]
CONCEPTS = (ROOT / "CONCEPTS.md").read_text()
ROWS = [line for line in CONCEPTS.splitlines() if line.startswith("| ") and "`src/" in line]
PLACES = sorted(set(re.findall(r"`(src/[\w/]+\.py):(\w+)`", CONCEPTS)))


def defined_names(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef | ast.AsyncFunctionDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


@pytest.mark.parametrize("path, symbol", PLACES, ids=[f"{p}:{s}" for p, s in PLACES])
def test_every_concept_points_at_a_definition(path, symbol):
    assert (ROOT / path).exists(), f"{path} does not exist"
    assert symbol in defined_names(ROOT / path), f"{path} defines no {symbol}"


def test_every_experiment_in_the_index_is_registered_and_every_one_is_indexed():
    registered = {s.id for s in list_experiments()}
    named = set(re.findall(r"\bl[1-4]\.[a-z_0-9]+\b", "\n".join(ROWS)))
    assert named <= registered, f"not registered: {sorted(named - registered)}"
    assert registered <= named, f"missing from CONCEPTS.md: {sorted(registered - named)}"


def test_claims_without_an_experiment_are_listed_as_such():
    ledger = set(re.findall(r"^\| (l[1-4]\.[a-z_0-9]+) \|",
                            (ROOT.parent / "shared" / "CLAIMS.md").read_text(), re.M))
    registered = {s.id for s in list_experiments()}
    missing_section = CONCEPTS.split("## Claims without an experiment", 1)[-1]
    listed = set(re.findall(r"\bl[1-4]\.[a-z_0-9]+\b", missing_section))
    assert listed == ledger - registered


def test_readme_layout_names_every_package():
    layout = (ROOT / "README.md").read_text().split("## Layout", 1)[1]
    packages = {p.name for p in (ROOT / "src" / "lecturelab").iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    missing = {p for p in packages if not re.search(rf"\b{p}/", layout)}
    assert not missing, f"README layout misses {sorted(missing)}"
