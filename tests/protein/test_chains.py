import numpy as np
import pytest

from lecturelab.protein.chains import (
    BOND,
    CLASH,
    compact_radius,
    distance_matrix,
    make_chain,
    place_next,
    radius_of_gyration,
    random_coil,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_chain_has_bonds_of_3_8_no_clashes_and_is_compact(seed):
    chain = make_chain(56, np.random.default_rng(seed))
    d = distance_matrix(chain.coords)
    assert np.allclose(np.diag(d, 1), BOND, atol=1e-9)
    far = np.triu(np.ones_like(d, bool), 2)
    assert d[far].min() >= CLASH - 1e-9
    assert radius_of_gyration(chain.coords) <= compact_radius(56)
    assert set(chain.secondary) <= set("HEL") and "H" in chain.secondary + "E"


def test_chain_is_deterministic_by_seed():
    a = make_chain(50, np.random.default_rng(3)).coords
    b = make_chain(50, np.random.default_rng(3)).coords
    assert np.array_equal(a, b)


def test_helix_segment_has_alpha_helix_geometry():
    rng = np.random.default_rng(0)
    chain = make_chain(64, rng)
    d = distance_matrix(chain.coords)
    i = chain.secondary.index("HHHHHH")
    # C-alpha i..i+3 in an alpha helix are about 5 to 5.5 A apart (strands: about 10 A)
    assert 4.5 < d[i + 1, i + 4] < 6.5


def test_place_next_sets_bond_angle_and_dihedral():
    a, b, c = np.array([0.0, 1, 0]), np.array([0.0, 0, 0]), np.array([1.0, 0, 0])
    d = place_next(a, b, c, np.radians([90.0]), np.radians([180.0]))[0]
    assert np.allclose(d, [1.0, -BOND, 0.0])


def test_random_coil_is_self_avoiding_and_rejects_short_chains():
    coil = random_coil(40, np.random.default_rng(0))
    d = distance_matrix(coil)
    assert np.allclose(np.diag(d, 1), BOND) and d[np.triu(np.ones_like(d, bool), 2)].min() >= 4
    with pytest.raises(ValueError, match="at least 4"):
        make_chain(3, np.random.default_rng(0))
