"""Network, self-play targets, symmetry augmentation, training, checkpoints, arena, commands."""

import json

import numpy as np
import pytest
import torch

from lecturelab.cli.games import play
from lecturelab.cli.games import train_alphazero as train_command
from lecturelab.games.agent import Agent, load_network, save_network
from lecturelab.games.alphazero import (
    cpu_threads,
    train_alphazero,
    train_step,
    training_config,
)
from lecturelab.games.arena import elo_ratings, matches
from lecturelab.games.network import NetworkEvaluator, PolicyValueNet, folded_for_inference
from lecturelab.games.selfplay import Examples, ReplayBuffer, SelfPlayWorkers, self_play
from lecturelab.games.tictactoe import PerfectPlayer, TicTacToe

GAME = TicTacToe()
SMOKE = training_config("tictactoe", "smoke")


def tiny_net() -> PolicyValueNet:
    torch.manual_seed(0)
    return PolicyValueNet(board_shape=(3, 3), num_actions=9, channels=8, blocks=1).eval()


def test_network_shapes_and_bad_input():
    logits, value = tiny_net()(torch.zeros(5, 2, 3, 3))
    assert logits.shape == (5, 9) and value.shape == (5,) and value.abs().max() <= 1
    with pytest.raises(ValueError, match=r"\(B, 2, 3, 3\)"):
        tiny_net()(torch.zeros(5, 2, 6, 7))


def test_folding_batchnorm_keeps_the_function_and_removes_the_batchnorms():
    net = tiny_net()
    for bn in (m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)):
        bn.running_mean.uniform_(-1, 1)  # statistics and affine weights away from the identity
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 2)
        bn.bias.data.uniform_(-1, 1)
    folded = folded_for_inference(net)
    x = torch.randn(16, 2, 3, 3)
    with torch.no_grad():
        for a, b in zip(net(x), folded(x), strict=True):
            assert torch.allclose(a, b, atol=1e-5)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in net.modules())  # not changed


def test_self_play_targets():
    ex = self_play(GAME, NetworkEvaluator(GAME, tiny_net()), games=6, num_simulations=8,
                   c_puct=1.5, dirichlet_alpha=1.0, temperature_moves=9,
                   rng=np.random.default_rng(0))
    np.testing.assert_allclose(ex.policies.sum(1), 1, atol=1e-6)
    occupied = ex.planes.sum(1).reshape(-1, 9) > 0
    assert (ex.policies[occupied] == 0).all()  # search policies only on legal moves
    assert set(np.unique(ex.values)) <= {-1.0, 0.0, 1.0}
    first_moves = ex.planes.reshape(len(ex), -1).sum(1) == 0
    assert first_moves.sum() == 6


def test_z_alternates_along_a_game():
    ex = self_play(GAME, NetworkEvaluator(GAME, tiny_net()), games=1, num_simulations=4,
                   c_puct=1.5, dirichlet_alpha=1.0, temperature_moves=9,
                   rng=np.random.default_rng(3))
    z = ex.values
    assert (z[1:] == -z[:-1]).all() and (len(z) >= 5)


def test_replay_buffer_stores_every_symmetry_consistently():
    ex = self_play(GAME, NetworkEvaluator(GAME, tiny_net()), games=2, num_simulations=4,
                   c_puct=1.5, dirichlet_alpha=1.0, temperature_moves=9,
                   rng=np.random.default_rng(0))
    buffer = ReplayBuffer(GAME, capacity=10_000)
    buffer.add(ex)
    assert len(buffer) == 8 * len(ex)
    data = buffer.data
    occupied = data.planes.sum(1).reshape(-1, 9) > 0
    assert (data.policies[occupied] == 0).all()
    np.testing.assert_array_equal(data.values, np.tile(ex.values, 8))
    buffer = ReplayBuffer(GAME, capacity=10)
    buffer.add(ex)
    assert len(buffer) == 10


def test_train_step_lowers_the_loss_on_a_fixed_batch():
    net = tiny_net()
    rng = np.random.default_rng(0)
    batch = Examples(rng.integers(0, 2, (32, 2, 3, 3)).astype(np.float32),
                     np.full((32, 9), 1 / 9, np.float32), rng.choice([-1.0, 1.0], 32)
                     .astype(np.float32))
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-2)
    with cpu_threads(1):
        losses = [train_step(net, optimizer, batch, torch.device("cpu")) for _ in range(30)]
    assert losses[-1]["value_loss"] < losses[0]["value_loss"]


def test_training_is_deterministic_and_keeps_every_snapshot():
    a, b = (train_alphazero(SMOKE, seed=5) for _ in range(2))
    assert len(a.snapshots) == SMOKE.iterations + 1 and len(a.history) == SMOKE.iterations
    for k, v in a.net.state_dict().items():
        torch.testing.assert_close(v, b.net.state_dict()[k])


def test_checkpoint_round_trip(tmp_path):
    net = tiny_net()
    save_network(tmp_path, net, game="tictactoe", round=3, meta={"seed": 1})
    loaded, meta = load_network(tmp_path / "checkpoint.json")
    assert meta["game"] == "tictactoe" and meta["round"] == 3 and meta["seed"] == 1
    for k, v in net.state_dict().items():
        torch.testing.assert_close(v, loaded.state_dict()[k])
    agent = Agent.from_checkpoint(tmp_path, num_simulations=16)
    state = GAME.initial_states(1)[0]
    assert agent.best_move(state) == Agent(GAME, net, num_simulations=16).best_move(state)
    with pytest.raises(ValueError, match="shape"):
        agent.best_move(np.zeros(4))


def test_non_alphazero_checkpoint_is_rejected(tmp_path):
    from lecturelab.train.checkpoint import Checkpoint, save_checkpoint

    save_checkpoint(tmp_path, Checkpoint(model_state={}, meta={"model": "mlp"}))
    with pytest.raises(ValueError, match="not an AlphaZero checkpoint"):
        Agent.from_checkpoint(tmp_path)


def test_train_command_writes_a_checkpoint_and_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "az"
    path = train_command("tictactoe", out=out, profile="smoke", device="cpu")
    meta = json.loads(path.read_text())
    assert meta["round"] == SMOKE.iterations and len(meta["history"]) == SMOKE.iterations
    assert "round 2/2" in capsys.readouterr().out
    with pytest.raises(ValueError, match="already holds"):
        train_command("tictactoe", out=out, profile="smoke", device="cpu")
    with pytest.raises(ValueError, match="tictactoe, connect4"):
        train_command("go", out=tmp_path / "go", device="cpu")


def test_play_reprompts_on_bad_moves_and_reports_the_result():
    typed = iter(["", "ten", "0", "5", "5", "1", "9", "2", "3", "4", "6", "7", "8"])
    shown: list[str] = []
    result = play("tictactoe", checkpoint=None, simulations=200, human_first=True,
                  input_fn=lambda prompt: next(typed), print_fn=shown.append)
    text = "\n".join(map(str, shown))
    assert "'ten' is not a cell" in text and "'0' is not a cell" in text
    assert "cell 5 is taken" in text
    assert result in (-1, 0, 1) and text.rstrip().endswith(
        {1: "you win", 0: "draw", -1: "the agent wins"}[result])


def test_play_ends_cleanly_when_input_ends():
    def no_input(prompt):
        raise EOFError

    assert play("connect4", checkpoint=None, simulations=4, human_first=True,
                input_fn=no_input, print_fn=lambda *a: None) is None
    with pytest.raises(ValueError, match="tictactoe, connect4"):
        play("chess", checkpoint=None, input_fn=no_input)


def test_elo_of_a_three_to_one_score():
    # 75 points of 100: r = 400 log10(0.75 / 0.25) = 190.8 Elo above the anchor
    elo, cov = elo_ratings(np.array([[0.0, 25.0], [75.0, 0.0]]), prior_draws=0)
    assert elo[1] == pytest.approx(400 * np.log10(3), abs=0.1)
    # Fisher information: n p (1 - p) (ln 10 / 400)^2 = 100 * 0.1875 * ... -> se ~ 40 Elo
    assert np.sqrt(cov[1, 1]) == pytest.approx(1 / np.sqrt(100 * 0.1875) / (np.log(10) / 400),
                                               rel=1e-3)


def test_perfect_player_draws_itself():
    rng = np.random.default_rng(0)
    result = matches(GAME, [PerfectPlayer(rng=rng), PerfectPlayer(rng=rng)], [(0, 1)],
                     GAME.initial_states(10))[(0, 1)]
    assert result.draws == 20 and result.score == 0.5


def test_self_play_in_a_worker_process():
    workers = SelfPlayWorkers("tictactoe", SMOKE.net_kwargs(), workers=1)
    try:
        net = PolicyValueNet(**SMOKE.net_kwargs())
        ex = workers.play(net, games=2, seed=0, num_simulations=2, c_puct=1.5,
                          dirichlet_alpha=1.0, temperature_moves=9)
    finally:
        workers.close()
    assert len(ex) >= 10 and ex.planes.shape[1:] == (2, 3, 3)


def test_invalid_training_configs_are_errors():
    with pytest.raises(ValueError, match="iterations must be at least 1"):
        training_config("tictactoe", iterations=0)
    with pytest.raises(ValueError, match="expected one of quick, full, smoke"):
        training_config("connect4", "fast")
