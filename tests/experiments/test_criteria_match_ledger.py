"""Every registered experiment states its claim's criterion word for word as the ledger does.

The ledger is CLAIMS.md: in the repository root, or in the shared folder beside the checkout
(`../shared/CLAIMS.md`). Its tables have rows `| id | the notes say | criterion |`; a ledger
id without a registered experiment is not checked here (test_smoke lists the expected ids).
"""

from pathlib import Path

import pytest

from lecturelab.lab import list_experiments

ROOT = Path(__file__).resolve().parents[2]
LEDGERS = [ROOT / "CLAIMS.md", ROOT.parent / "shared" / "CLAIMS.md"]


def ledger_criteria(text: str) -> dict[str, str]:
    """id -> criterion from the ledger's table rows (a '|' inside the criterion is kept)."""
    rows = {}
    for line in text.splitlines():
        cells = line.strip().removeprefix("|").removesuffix("|").split("|")
        if len(cells) >= 3 and cells[0].strip()[:1] == "l" and "." in cells[0]:
            rows[cells[0].strip()] = "|".join(cells[2:]).strip()
    return rows


def test_ledger_rows_parse_with_a_pipe_inside_the_criterion():
    text = ("| id | the notes say | criterion |\n|---|---|---|\n"
            "| l9.toy | notes | Q(theta|h) reaches 1.19 |\n"
            "| l9.other | n | at least 0.3; figure |\n")
    assert ledger_criteria(text) == {"l9.toy": "Q(theta|h) reaches 1.19",
                                     "l9.other": "at least 0.3; figure"}


LEDGER = next((p for p in LEDGERS if p.exists()), None)
ROWS = ledger_criteria(LEDGER.read_text()) if LEDGER else {}
SPECS = [s for s in list_experiments() if s.id in ROWS]


@pytest.mark.skipif(LEDGER is None, reason=f"CLAIMS.md not found at {LEDGERS}")
@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_criterion_matches_the_ledger_row(spec):
    assert spec.criterion == ROWS[spec.id]
