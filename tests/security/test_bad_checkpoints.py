"""Issue 10, item 9: bad checkpoints and options end with one line and exit code 2, never a
traceback, a wrong success or a half-written folder."""

import json
import sys

import pytest
import torch

from lecturelab.cli import main
from lecturelab.games.agent import save_network
from lecturelab.games.network import PolicyValueNet
from lecturelab.train.checkpoint import POINTER, Checkpoint, save_checkpoint


def run_cli(args, monkeypatch, capsys) -> tuple[int, str]:
    """(exit code, stderr) of `lecturelab ARGS` in this process."""
    monkeypatch.setattr(sys, "argv", ["lecturelab", *map(str, args)])
    with pytest.raises(SystemExit) as done:
        main()
    err = capsys.readouterr().err
    return done.value.code, err


def one_line_error(code: int, err: str, *words: str) -> None:
    assert code == 2, err
    assert "Traceback" not in err and err.count("\n") == 1, err
    for word in words:
        assert word in err, err


@pytest.fixture(scope="module")
def mlp_digits(tmp_path_factory):
    """A classifier trained for one epoch on digits."""
    from lecturelab.train.api import train_classifier
    from lecturelab.train.loop import TrainConfig

    out = tmp_path_factory.mktemp("ck") / "mlp-digits"
    train_classifier("mlp", "digits", TrainConfig(epochs=1, batch_size=64, lr=0.05),
                     out_dir=out, device=torch.device("cpu"), progress=False, train_subset=200)
    return out


def copy_of(folder, tmp_path):
    import shutil

    return shutil.copytree(folder, tmp_path / folder.name)


def edit_json(folder, change) -> None:
    state = json.loads((folder / POINTER).read_text())
    (folder / POINTER).write_text(json.dumps(change(state)))


@pytest.mark.parametrize("content", ["[]", "{}", "null", "\"x\"", "{\"tensors\": 3}"])
def test_a_pointer_that_is_no_state_is_one_line(mlp_digits, tmp_path, monkeypatch, capsys,
                                                content):
    folder = copy_of(mlp_digits, tmp_path)
    (folder / POINTER).write_text(content)
    one_line_error(*run_cli(["eval", folder], monkeypatch, capsys), "corrupt checkpoint state")


@pytest.mark.parametrize("key", ["model", "data", "model_kwargs", "epoch", "config", "kind"])
def test_a_classifier_state_without_a_key_is_one_line(mlp_digits, tmp_path, monkeypatch, capsys,
                                                      key):
    folder = copy_of(mlp_digits, tmp_path)
    edit_json(folder, lambda s: {k: v for k, v in s.items() if k != key})
    code, err = run_cli(["eval", folder], monkeypatch, capsys)
    if key in ("epoch", "config", "kind"):  # eval does not need them (kind: classifier)
        assert code == 0, err
    else:
        one_line_error(code, err, str(folder))
    code, err = run_cli(["train", "mlp", "--data", "digits", "--epochs", "1", "--subset", "200",
                         "--batch-size", "64", "--lr", "0.05", "--out", folder, "--resume"],
                        monkeypatch, capsys)
    if key == "kind":
        assert code == 0, err
    else:
        one_line_error(code, err, "cannot resume")


def test_eval_of_an_alphazero_folder_says_to_play_it(tmp_path, monkeypatch, capsys):
    net = PolicyValueNet(board_shape=(3, 3), num_actions=9, channels=4, blocks=1)
    save_network(tmp_path, net, game="tictactoe", round=1, meta={})
    one_line_error(*run_cli(["eval", tmp_path], monkeypatch, capsys),
                   "holds an AlphaZero agent; play it: lecturelab play tictactoe")


def test_a_detector_state_without_seed_is_one_line(tmp_path, monkeypatch, capsys):
    from dataclasses import asdict

    from lecturelab.train.api import build_detector
    from lecturelab.train.recipes import detector_recipe

    scenes, recipe, train = detector_recipe("smoke", steps=1)
    detector = build_detector("retinanet", recipe, scenes)
    save_checkpoint(tmp_path, Checkpoint(model_state=detector.state_dict(), meta={
        "kind": "detector", "model": "retinanet", "recipe": asdict(recipe),
        "scenes": asdict(scenes), "train": asdict(train), "step": 1}))
    one_line_error(*run_cli(["eval", tmp_path], monkeypatch, capsys), "seed")


def test_eval_on_data_of_another_input_size_is_one_line(mlp_digits, monkeypatch, capsys):
    one_line_error(*run_cli(["eval", mlp_digits, "--data", "toy2d"], monkeypatch, capsys),
                   "toy2d", "digits")


@pytest.mark.parametrize("seed", ["123456789012345678901234", "18446744073709551616"])
def test_a_seed_too_large_is_one_line(tmp_path, monkeypatch, capsys, seed):
    code, err = run_cli(["train", "mlp", "--data", "digits", "--seed", seed, "--out",
                         tmp_path / "ck"], monkeypatch, capsys)
    one_line_error(code, err, "--seed")
    assert not (tmp_path / "ck").exists()


def test_run_out_that_is_a_file_is_one_line(tmp_path, monkeypatch, capsys):
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    one_line_error(*run_cli(["run", "l2.xor", "--profile", "smoke", "--out", afile],
                            monkeypatch, capsys), "afile")
    assert afile.read_text() == "keep me"


@pytest.mark.parametrize("where", [("model_kwargs", "width"), ("model_kwargs", "depth")])
def test_huge_sizes_in_a_classifier_state_allocate_nothing(mlp_digits, tmp_path, monkeypatch,
                                                           capsys, where):
    folder = copy_of(mlp_digits, tmp_path)
    edit_json(folder, lambda s: {**s, where[0]: {where[1]: 10**12}})
    one_line_error(*run_cli(["eval", folder], monkeypatch, capsys), str(folder))


def test_huge_sizes_in_an_agent_state_allocate_nothing(tmp_path, monkeypatch, capsys):
    net = PolicyValueNet(board_shape=(3, 3), num_actions=9, channels=4, blocks=1)
    save_network(tmp_path, net, game="tictactoe", round=1, meta={})
    edit_json(tmp_path, lambda s: {**s, "net": {**s["net"], "channels": 10**7, "blocks": 10**6}})
    one_line_error(*run_cli(["play", "tictactoe", "--checkpoint", tmp_path], monkeypatch,
                            capsys), "do not match")
