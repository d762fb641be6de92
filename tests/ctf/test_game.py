"""The rules on a hand-built 5x5 map: bases A at (2, 0) and B at (2, 4), one wall at (0, 2)
and its mirror (4, 2). Actions: 0 stay, 1 up, 2 down, 3 left, 4 right (team 1's are turned)."""

from dataclasses import replace

import numpy as np
import pytest

from lecturelab.ctf.baselines import ScriptedTeam
from lecturelab.ctf.game import (
    EVENTS,
    CaptureTheFlag,
    GameConfig,
    GameState,
    MapPool,
)
from lecturelab.ctf.maps import Map, generate_map

STAY, UP, DOWN, LEFT, RIGHT = range(5)
E = {name: i for i, name in enumerate(EVENTS)}


def small_game(**cfg) -> CaptureTheFlag:
    walls = np.zeros((5, 5), bool)
    walls[0, 2] = walls[4, 2] = True
    return CaptureTheFlag(MapPool.from_maps([Map(walls, np.array([[2, 0], [2, 4]]))]),
                          GameConfig(**cfg))


def placed(game: CaptureTheFlag, pos, *, flag=((2, 0), (2, 4)), carrier=(-1, -1),
           seed=0) -> GameState:
    state = game.reset(np.array([0]), np.array([seed]))
    return replace(state, pos=np.array([pos]), flag=np.array([flag]),
                   carrier=np.array([carrier]))


def step(game, state, actions):
    return game.step(state, np.array([actions]))


def test_moves_are_simultaneous_and_walls_and_edges_block():
    game = small_game()
    state = placed(game, [(1, 1), (1, 2), (0, 3), (4, 4)])
    # agent 1 walks into the wall at (0, 2); agent 0 moves into the cell agent 1 leaves
    state, _ = step(game, state, [RIGHT, UP, STAY, STAY])
    assert state.pos[0, 0].tolist() == [1, 2] and state.pos[0, 1].tolist() == [1, 2]
    # agents 0 and 1 swap cells in one step (no blocking); team 1's "up" is the map's down,
    # so agent 3 on the bottom edge stays, and agent 2's "down" (the map's up) hits the edge
    state = placed(game, [(3, 0), (3, 1), (0, 3), (4, 4)])
    state, _ = step(game, state, [RIGHT, LEFT, DOWN, UP])
    assert state.pos[0].tolist() == [[3, 1], [3, 0], [0, 3], [4, 4]]


def test_pickup_then_capture_scores_and_sends_the_flag_home():
    game = small_game()
    state = placed(game, [(2, 3), (0, 0), (4, 3), (4, 4)])
    state, events = step(game, state, [RIGHT, STAY, STAY, STAY])
    assert state.carrier[0].tolist() == [-1, 0] and events[0, 0, E["pickup"]] == 1
    assert events[0, :, E["pickup"]].sum() == 1
    state = replace(state, pos=np.array([[(2, 1), (0, 0), (4, 3), (4, 4)]]),
                    flag=np.array([[(2, 0), (2, 1)]]))
    state, events = step(game, state, [LEFT, STAY, STAY, STAY])
    assert state.score[0].tolist() == [1, 0] and events[0, 0, E["capture"]] == 1
    assert state.carrier[0].tolist() == [-1, -1] and state.flag[0, 1].tolist() == [2, 4]
    assert game.outcome(state).tolist() == [1]


def test_a_tag_in_the_taggers_half_drops_the_flag_and_respawns_in_the_own_half():
    game = small_game(tag_probability=1.0)
    # agent 2 carries team 0's flag at (1, 1) in team 0's half; agent 0 steps onto it, tags
    # it, and so stands on its own dropped flag, which goes home at once
    state = placed(game, [(1, 0), (0, 0), (1, 1), (4, 4)], flag=((1, 1), (2, 4)),
                   carrier=(2, -1))
    state, events = step(game, state, [RIGHT, STAY, STAY, STAY])
    assert events[0, 0, E["tag"]] == 1 and events[0, 2, E["tagged"]] == 1
    assert events[0, 0, E["return"]] == 1
    assert state.carrier[0].tolist() == [-1, -1] and state.flag[0, 0].tolist() == [2, 0]
    assert state.pos[0, 2, 1] > 2  # respawned in team 1's half


def test_a_carrier_tagged_as_it_moves_drops_the_flag_where_it_came_from():
    game = small_game(tag_probability=1.0)
    state = placed(game, [(1, 1), (0, 0), (1, 2), (4, 4)], flag=((1, 2), (2, 4)),
                   carrier=(2, -1))
    state, events = step(game, state, [STAY, STAY, RIGHT, STAY])  # agent 2's "right" is left

    assert events[0, 0, E["tag"]] == 1 and events[0, 2, E["tagged"]] == 1
    assert state.carrier[0].tolist() == [-1, -1] and state.flag[0, 0].tolist() == [1, 2]
    assert events[0, :, E["return"]].sum() == 0


def test_a_dropped_flag_stays_until_its_own_team_touches_it():
    game = small_game()
    state = placed(game, [(1, 0), (3, 3), (3, 4), (4, 4)], flag=((1, 1), (2, 4)))
    state, events = step(game, state, [STAY, STAY, STAY, STAY])
    assert state.flag[0, 0].tolist() == [1, 1] and events[0, :, E["return"]].sum() == 0
    state, events = step(game, state, [RIGHT, STAY, STAY, STAY])
    assert events[0, 0, E["return"]] == 1 and state.flag[0, 0].tolist() == [2, 0]


def test_tags_happen_only_in_the_taggers_half_and_with_tag_probability():
    game = small_game(tag_probability=1.0)
    # agent 0 walks into team 1's half onto agent 2: agent 2 tags agent 0, not the reverse
    state = placed(game, [(1, 2), (0, 0), (1, 3), (4, 4)])
    _, events = step(game, state, [RIGHT, STAY, STAY, STAY])
    assert events[0, :, E["tagged"]].tolist() == [1, 0, 0, 0]
    assert events[0, :, E["tag"]].tolist() == [0, 0, 1, 0]
    game = small_game(tag_probability=0.0)
    state = placed(game, [(1, 0), (0, 0), (1, 1), (4, 4)])
    _, events = step(game, state, [RIGHT, STAY, STAY, STAY])
    assert events[0, :, E["tagged"]].sum() == 0


def test_closer_event_counts_steps_towards_the_target():
    game = small_game()
    state = placed(game, [(2, 1), (2, 1), (0, 4), (4, 4)])
    _, events = step(game, state, [RIGHT, LEFT, STAY, STAY])
    assert events[0, :2, E["closer"]].tolist() == [1, -1]


def test_time_limit_ends_the_game_as_a_draw():
    game = small_game(time_limit=3)
    state = placed(game, [(0, 0), (1, 0), (0, 4), (1, 4)])
    for _ in range(3):
        state, _ = step(game, state, [STAY] * 4)
    assert game.done(state) and game.outcome(state).tolist() == [0]
    with pytest.raises(ValueError, match="over"):
        step(game, state, [STAY] * 4)


def test_bad_actions_are_refused():
    game = small_game()
    state = placed(game, [(0, 0), (1, 0), (0, 4), (1, 4)])
    with pytest.raises(ValueError, match="actions"):
        step(game, state, [5, 0, 0, 0])


def test_both_teams_see_the_game_the_same_way_in_their_own_frame():
    game = small_game()
    state = placed(game, [(1, 1), (3, 0), (3, 3), (1, 4)])  # agents 2, 3 mirror 0, 1
    view, features = game.observe(state)
    assert view.shape == (1, 4, 7, 5, 5)
    assert np.array_equal(view[0, 0], view[0, 2]) and np.array_equal(view[0, 1], view[0, 3])
    assert np.allclose(features[0, :2], features[0, 2:])
    assert view[0, 0, 0, 0].tolist() == [1, 1, 1, 1, 1]  # the row above the map is wall


def test_vectorised_and_single_game_stepping_give_identical_trajectories():
    pool = MapPool.from_maps([generate_map(s) for s in range(6)])
    game = CaptureTheFlag(pool, GameConfig(time_limit=30))
    map_id, seeds = np.arange(12) % 6, np.arange(12) * 7 + 1
    teams = [ScriptedTeam(noise=0.3, seed=1), ScriptedTeam(noise=0.3, seed=2)]
    together, actions = [game.reset(map_id, seeds)], []
    while not game.done(together[-1]):
        state = together[-1]
        actions.append(np.concatenate([teams[t].act(game, state, t) for t in (0, 1)], 1))
        together.append(game.step(state, actions[-1])[0])
    for g in range(12):
        alone = game.reset(map_id[g:g + 1], seeds[g:g + 1])
        for t, a in enumerate(actions):
            alone, _ = game.step(alone, a[g:g + 1])
            for field in ("pos", "flag", "carrier", "score"):
                assert np.array_equal(getattr(alone, field)[0],
                                      getattr(together[t + 1], field)[g]), (g, t, field)
    assert together[-1].score.sum() > 0  # flags were taken and captured
