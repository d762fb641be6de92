"""`lecturelab play ctf`: the person's keys steer agent 1; bad keys get a one-line message."""

import io
import sys

import pytest
import torch

from lecturelab.cli import main
from lecturelab.cli.ctf import play_ctf
from lecturelab.ctf.agents import ConvPolicy, load_policy, save_policy


def run_cli(args, stdin, monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["lecturelab", *args])
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    with pytest.raises(SystemExit) as done:
        main()
    out = capsys.readouterr()
    return done.value.code, out.out, out.err


def test_keys_from_stdin_steer_agent_one_to_the_end_of_the_game(monkeypatch, capsys):
    code, out, err = run_cli(["play", "ctf", "--seed", "1"], "d\n" * 40, monkeypatch, capsys)
    assert code in (0, None), err
    assert "step 40/40" in out and ("wins" in out or "draw" in out)


def test_the_person_moves_agent_one_and_bad_keys_are_refused_in_one_line():
    keys, shown = iter(["banana", "w", "q"]), []
    result = play_ctf(seed=0, input_fn=lambda _: next(keys), print_fn=shown.append)
    assert result is None and shown[-1] == "game abandoned"
    errors = [s for s in shown if s.startswith("unknown move")]
    assert errors == ["unknown move 'banana': expected w, a, s, d, x (stay) or q"]
    boards = [s for s in shown if "step " in s]
    assert boards[0].endswith("step 0/40  score A 0 : B 0") and "step 1/40" in boards[1]


def test_a_saved_policy_plays_the_team_mate_and_the_opponents(tmp_path):
    torch.manual_seed(0)
    policy = ConvPolicy()
    save_policy(tmp_path / "agent", policy, meta={"note": "untrained"})
    loaded = load_policy(tmp_path / "agent")
    assert all(torch.equal(a, b) for a, b in zip(policy.state_dict().values(),
                                                 loaded.state_dict().values(), strict=True))
    keys = iter(["x"] * 5)
    assert play_ctf(checkpoint=tmp_path / "agent", seed=0, time_limit=5,
                    input_fn=lambda _: next(keys), print_fn=lambda *_: None) in (-1, 0, 1)


def test_a_missing_checkpoint_is_one_line_with_exit_code_2(monkeypatch, capsys, tmp_path):
    code, _, err = run_cli(["play", "ctf", "--checkpoint", str(tmp_path / "none")], "",
                           monkeypatch, capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "none" in err
