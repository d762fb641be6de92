import numpy as np
import pytest

from lecturelab.ctf.maps import (
    Map,
    generate_map,
    is_connected,
    map_hash,
    maps_for,
    mirror,
    render_map,
    split_of,
)


def test_a_thousand_seeds_give_symmetric_connected_maps_with_free_mirrored_bases():
    for seed in range(1000):
        m = generate_map(seed)
        assert np.array_equal(m.walls, m.walls[::-1, ::-1]), seed
        assert is_connected(m), seed
        assert np.array_equal(m.bases[1], mirror(m.bases[0], m.shape))
        assert not m.walls[tuple(m.bases.T)].any()
        assert m.bases[0, 1] < m.shape[1] // 2 < m.bases[1, 1]


def test_a_seed_gives_the_same_map_and_the_hash_tells_maps_apart():
    a, b = generate_map(3), generate_map(3)
    assert map_hash(a) == map_hash(b) and np.array_equal(a.walls, b.walls)
    assert len({map_hash(generate_map(s)) for s in range(50)}) > 45
    moved = Map(a.walls, a.bases[::-1].copy())
    assert map_hash(moved) != map_hash(a)


def test_test_maps_are_never_training_maps():
    train, test = maps_for("train", 60, seed=0), maps_for("test", 20, seed=0)
    assert all(split_of(m) == "train" for m in train) and all(split_of(m) == "test" for m in test)
    assert not {map_hash(m) for m in train} & {map_hash(m) for m in test}


def test_render_shows_walls_and_bases():
    m = Map(np.zeros((5, 5), bool), np.array([[2, 0], [2, 4]]))
    assert render_map(m).splitlines()[2] == "A...B"


@pytest.mark.parametrize("kwargs", [dict(size=6), dict(size=3), dict(wall_density=0.6)])
def test_bad_map_parameters_are_refused(kwargs):
    with pytest.raises(ValueError):
        generate_map(0, **kwargs)


def test_unknown_split_is_refused():
    with pytest.raises(ValueError, match="split"):
        maps_for("validation", 1, seed=0)
