"""Issue 15, item 5: `lecturelab compare RUN_A RUN_B` says what changed in verdicts and in each
check's measured value; bad folders end in one line and exit code 2."""

import sys

import pytest
from labbook_runs import check, record, write_run

from lecturelab.cli import main
from lecturelab.cli.core import console
from lecturelab.lab.compare import compare_runs


@pytest.fixture
def runs(tmp_path):
    same = record("l2.same")
    a = write_run(tmp_path / "a", same, record("l2.moved"), record("l2.gone"))
    moved = record("l2.moved", verdict="not reproduced",
                   checks=[check("mean dead fraction", 0.25, "at least", 0.4),
                           check("accuracy", 0.912345, "between", [0.5, 1.0]),
                           check("new check", 3, "at most", 5)])
    b = write_run(tmp_path / "b", same, moved, record("l3.new", lecture=3))
    return a, b


def test_verdict_and_check_changes_are_found(runs):
    c = compare_runs(*runs)
    assert [(v.id, v.before, v.after) for v in c.verdicts] == [
        ("l2.gone", "reproduced", "absent"), ("l2.moved", "reproduced", "not reproduced"),
        ("l3.new", "absent", "reproduced")]
    assert [(k.id, k.name, k.before, k.after) for k in c.checks] == [
        ("l2.moved", "mean dead fraction", 0.39794921875, 0.25),
        ("l2.moved", "new check", None, 3)]
    assert c.checks[0].delta == pytest.approx(0.25 - 0.39794921875)
    assert c.checks[1].passed_before is None and c.checks[1].delta is None
    assert (c.experiments, c.checks_compared) == (2, 4)
    assert c.profiles == (("quick",), ("quick",))


def test_identical_runs_have_no_changes(runs):
    c = compare_runs(runs[0], runs[0])
    assert (c.verdicts, c.checks, c.experiments) == ([], [], 3)


def lecturelab(args, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["lecturelab", *args])
    monkeypatch.setattr(console, "_width", 200)  # rich reads $COLUMNS only when it starts
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def test_the_command_prints_the_changes_and_exits_0(runs, monkeypatch, capsys):
    code, out, _ = lecturelab(["compare", str(runs[0]), str(runs[1])], monkeypatch, capsys)
    assert code == 0
    assert "verdicts that changed" in out and "checks that changed" in out
    assert "mean dead fraction" in out and "-0.1479" in out
    assert "2 experiments in both runs: 3 verdicts and 2 checks changed (4 checks in both)." \
        in out


def test_runs_of_different_profiles_are_noted(tmp_path, monkeypatch, capsys):
    a = write_run(tmp_path / "a", record())
    b = write_run(tmp_path / "b", record(profile="smoke"))
    _, out, _ = lecturelab(["compare", str(a), str(b)], monkeypatch, capsys)
    assert "note: A ran profile quick, B smoke: their numbers differ by design" in out


def test_text_from_a_run_folder_is_not_markup(tmp_path, monkeypatch, capsys):
    a = write_run(tmp_path / "a", record(checks=[check("[bold red]x[/]", 1, "at most", 2)]))
    b = write_run(tmp_path / "b", record(checks=[check("[bold red]x[/]", 3, "at most", 2)]))
    code, out, _ = lecturelab(["compare", str(a), str(b)], monkeypatch, capsys)
    assert code == 0 and "[bold red]x[/]" in out


@pytest.mark.parametrize("bad", ["missing", "empty", "file"])
def test_a_folder_that_is_not_a_run_is_one_line_and_exit_2(runs, tmp_path, monkeypatch,
                                                             capsys, bad):
    path = tmp_path / bad
    if bad == "empty":
        path.mkdir()
    if bad == "file":
        path.write_text("x")
    code, out, err = lecturelab(["compare", str(runs[0]), str(path)], monkeypatch, capsys)
    assert code == 2 and out == ""
    assert err == f"error: {path} is not a run folder (no */result.json in it)\n"
