"""Issue 15, item 5: the lab book as what a learner opens first - grouped by lecture with
counts, the claim in the lecture's words, checks against thresholds, numbers with their
uncertainty, metrics as tables, captioned figures, links both ways, an offline filter."""

import base64
import hashlib
import re

import pytest
from labbook_runs import check, record, write_run

from lecturelab.lab.numbers import number, short, with_spread
from lecturelab.lab.report import write_report
from lecturelab.lab.report_assets import SCRIPT


@pytest.fixture
def book(tmp_path):
    write_run(tmp_path / "run",
              record("l4.b", lecture=4, verdict="not reproduced", figures=["train_loss.png"]),
              record("l2.a"),
              record("l2.c", verdict="error", error="RuntimeError: boom", checks=[],
                     metrics={}, headline=[]),
              figures=["train_loss.png"])
    return write_report(tmp_path / "run").read_text()


@pytest.mark.parametrize(("value", "text"), [
    (12345, "12,345"), (7, "7"), (True, "yes"), (0.0, "0"), (3.0, "3"), (0.912345, "0.9123"),
    (1.48e-07, "1.48e-07"), (2.5e6, "2,500,000"), (123456.7, "1.23e+05"),
])
def test_numbers_are_short(value, text):
    assert number(value) == text


@pytest.mark.parametrize(("value", "spread", "text"), [
    (0.007008362716684739, 0.0019617648072479655, "0.0070 \u00b1 0.0020"),
    (211.39607101074557, 48.97963742531582, "211 \u00b1 49"),
    (0.39794921875, 0.07633610574405507, "0.398 \u00b1 0.076"),
    (1.5, 0.0, "1.5"),
])
def test_a_value_is_rounded_to_its_uncertainty(value, spread, text):
    assert with_spread(value, spread) == text


def test_a_mean_std_metric_reads_as_mean_plus_minus_std():
    assert short({"mean": 0.007008362716684739, "std": 0.0019617648072479655}) == \
        "0.0070 \u00b1 0.0020"
    assert short(list(range(10))) == "[0, 1, 2, 3, 4, 5, ... (10 values)]"


def test_grouped_by_lecture_with_counts_and_the_tally(book):
    assert "3 experiments, 1 reproduced, 1 not reproduced, 1 error." in book
    assert "Lecture 2 - Neural network foundations" in book and "Lecture 3" not in book
    assert "Lecture 4 - Advanced computer vision" in book
    group2 = book[book.index('id="summary-2"'):book.index('id="summary-4"')]
    assert '1 <span class="reproduced">reproduced</span>' in group2
    assert '1 <span class="error">error</span>' in group2
    assert '0 <span class="not-reproduced">not reproduced</span>' in group2
    assert "1 of 2 checks pass" in group2


def test_each_check_is_its_measured_value_against_the_threshold(book):
    section = book[book.index('<section class="exp v-reproduced" id="l2.a"'):]
    start = section.index("mean dead fraction")
    row = section[start:section.index("</tr>", start)]
    assert "0.398 \u00b1 0.076" in row and "at least 0.4" in row and "\u2717 fail" in row
    assert "in [0.5, 1]" in section and "\u2713 pass" in section


def test_an_uncertainty_in_a_check_detail_is_shown_with_the_value(tmp_path):
    detail = "+- 0.5 over 3 seeds"
    write_run(tmp_path, record(metrics={}, checks=[check("gap", 1.2345, "at least", 1,
                                                         detail=detail)]))
    assert "1.23 \u00b1 0.50" in write_report(tmp_path).read_text()


def test_metrics_are_tables_not_python_dicts(book):
    assert "{&#x27;mean&#x27;" not in book and "{'mean'" not in book
    assert "0.398 \u00b1 0.076 (std)" in book
    assert '<table class="kv"><tr><td>8</td><td>0.5</td></tr>' in book
    assert "dead = 0.398 \u00b1 0.076" in book  # the headline in the summary


def test_the_claim_in_the_lecture_s_words_and_links_both_ways(book):
    assert "<b>The lecture says:</b> the lecture&#x27;s claim of l2.a" in book
    for id in ("l2.a", "l2.c", "l4.b"):
        assert f'href="#{id}"' in book and f'id="{id}"' in book
        assert f'href="#row-{id}"' in book and f'id="row-{id}"' in book


def test_figures_have_captions(book):
    assert book.count("<figcaption>") == 1
    assert "<figcaption>Figure 1 of l4.b: train loss</figcaption>" in book


def test_the_filter_is_offline_and_the_only_script_admitted(book):
    assert '<select id="filter-verdict">' in book and '<option value="4">' in book
    assert 'data-verdict="not reproduced" data-lecture="4"' in book
    digest = base64.b64encode(hashlib.sha256(SCRIPT.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in book and "default-src 'none'" in book
    assert not re.search(r"(src|href)=[\"'](?!#|data:)", book)  # nothing loads from elsewhere
