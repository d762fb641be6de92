import numpy as np
import pytest
import torch

from lecturelab.ctf.agents import ConvPolicy, PolicyTeam
from lecturelab.ctf.baselines import RandomTeam, ScriptedTeam
from lecturelab.ctf.game import CHANNELS, NUM_FEATURES, CaptureTheFlag, GameConfig, MapPool
from lecturelab.ctf.league import HAND_SET, LeagueConfig, LeagueTask
from lecturelab.ctf.maps import maps_for
from lecturelab.ctf.match import Record, elo_update, expected_score, head_to_head
from lecturelab.ctf.ppo import PPOConfig, advantages, ppo_update, rollout
from lecturelab.population.pbt import PBTConfig, train_population


@pytest.fixture(scope="module")
def game():
    return CaptureTheFlag(MapPool.from_maps(maps_for("train", 10, seed=0)),
                          GameConfig(time_limit=12))


def test_advantages_with_gamma_and_lambda_one_are_returns_minus_values():
    rewards = torch.tensor([[1.0], [0.0], [2.0]])
    values = torch.tensor([[0.5], [1.0], [0.0]])
    adv = advantages(rewards, values, gamma=1.0, lam=1.0)
    assert adv[:, 0].tolist() == [2.5, 1.0, 2.0]
    adv = advantages(rewards, values, gamma=0.5, lam=0.0)  # one-step TD errors
    assert adv[:, 0].tolist() == [1.0, -1.0, 2.0]


def test_elo_moves_by_k_times_surprise_and_keeps_the_sum():
    assert expected_score(1000, 1000) == 0.5
    assert expected_score(1400, 1000) == pytest.approx(10 / 11)
    a, b = elo_update(1000, 1000, np.array([1, 1, 0, -1]), k=32)
    assert a == pytest.approx(1000 + 32 * (0.625 - 0.5)) and a + b == pytest.approx(2000)


def test_record_counts_wins_draws_losses_and_decided_games():
    r = Record.of(np.array([1, 1, 0, -1])) + Record(1, 0, 0)
    assert (r.wins, r.draws, r.losses, r.games) == (3, 1, 1, 5)
    assert r.decided_win_rate == 0.75 and np.isnan(Record(0, 3, 0).decided_win_rate)


def test_scripted_team_beats_a_random_team(game):
    game = CaptureTheFlag(game.pool, GameConfig(time_limit=40))
    record = head_to_head(game, ScriptedTeam(), RandomTeam(), 40, seed=0)
    assert record.wins >= 20 and record.losses <= 2


def test_ppo_step_raises_the_probability_of_rewarded_actions(game):
    torch.manual_seed(0)
    policy = ConvPolicy()
    optimizer = torch.optim.Adam(policy.parameters(), lr=1e-2)
    generator = torch.Generator().manual_seed(0)
    n = 16
    data = rollout(game, policy, RandomTeam(), np.arange(n) % 10, np.arange(n), generator)
    assert data.views.shape == (12, 2 * n, 7, 5, 5) and data.events.shape == (12, 2 * n, 6)
    data.events.zero_()
    data.events[..., 5] = (data.actions == 4).long()  # reward "right" moves only
    before = policy(data.views[0], data.features[0])[0].softmax(1)[:, 4].mean()
    for _ in range(3):
        ppo_update(policy, optimizer, data, torch.tensor([0, 0, 0, 0, 0, 1.0]),
                   PPOConfig(minibatch=128), generator)
    after = policy(data.views[0], data.features[0])[0].softmax(1)[:, 4].mean()
    assert after > before + 0.05


def test_league_trains_under_pbt_and_exploit_copies_the_elo(game):
    task = LeagueTask(game, LeagueConfig(ppo=PPOConfig(games=4), eval_games=4), seed=0)
    population = task.population(4, evolve=True)
    assert len({m.hyperparams["capture"] for m in population}) == 4
    assert all(m.hyperparams["tagged"] < 0 for m in population)
    ranked = train_population(population, task, PBTConfig(interval=1), steps=2, seed=0)
    assert [r["step"] for r in task.log if r["member"] == 0] == [0, 1, 2]
    assert all(m.score == m.state.elo for m in ranked)
    assert sum(m.state.elo for m in ranked) == pytest.approx(4000)
    fixed = LeagueTask(game, seed=0).population(2, evolve=False)
    assert all({k: m.hyperparams[k] for k in HAND_SET} == HAND_SET for m in fixed)


def test_a_league_of_one_is_refused(game):
    with pytest.raises(ValueError, match="at least 2"):
        LeagueTask(game).population(1, evolve=True)


def test_policy_team_plays_either_side(game):
    team = PolicyTeam(ConvPolicy(), seed=0)
    record = head_to_head(game, team, RandomTeam(), 8, seed=0)
    assert record.games == 8


def test_policy_forward_equals_its_two_convolutions_then_the_mlp():
    torch.manual_seed(1)
    policy = ConvPolicy()
    torch.nn.init.normal_(policy.policy.weight)  # the zero-initialised head would hide errors
    view, features = torch.randn(6, len(CHANNELS), 5, 5), torch.randn(6, NUM_FEATURES)
    logits, value = policy(view, features)
    h = policy.body(torch.cat([policy.conv(view), features], 1))  # the convolutions as declared
    assert torch.allclose(logits, policy.policy(h), atol=1e-5)
    assert torch.allclose(value, policy.value(h).squeeze(1), atol=1e-5)
