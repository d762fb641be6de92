import numpy as np
import pytest

from lecturelab.protein.chains import distance_matrix, make_chain
from lecturelab.protein.folding import FoldConfig, classical_mds, fold, true_distogram
from lecturelab.protein.structure import kabsch, lddt, rmsd, tm_d0, tm_score, tm_score_either_hand

SQUARE = np.array([[1.0, 0, 0], [0, 1, 0], [-1, 0, 0], [0, -1, 0], [0, 0, 2]])


def test_kabsch_finds_a_quarter_turn_about_z_and_a_shift():
    turn = np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]])
    target = SQUARE @ turn.T + [1.0, 2, 3]
    rotation, translation = kabsch(SQUARE, target)
    assert np.allclose(rotation, turn) and np.allclose(translation, [1, 2, 3])
    assert rmsd(SQUARE, target) == pytest.approx(0, abs=1e-9)


def test_kabsch_never_reflects():
    mirror = SQUARE * [1, 1, -1]
    rotation, _ = kabsch(SQUARE, mirror)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    assert rmsd(SQUARE, mirror) > 0.5


def test_tm_score_by_hand():
    assert tm_d0(100) == pytest.approx(1.24 * 85 ** (1 / 3) - 1.8)
    x = make_chain(40, np.random.default_rng(0)).coords
    assert tm_score(x + 7.0, x) == pytest.approx(1.0)
    far = x.copy()
    far[20:] += 100.0  # half the chain moved far: best superposition keeps the other half
    assert tm_score(far, x) == pytest.approx(tm_score(x[:20], x[:20]) * 0.5, abs=0.02)


@pytest.mark.parametrize("seed,noise", [(0, 0.6), (1, 1.0), (2, 1.3), (4, 1.8), (9, 1.8)])
def test_tm_score_matches_tmtools(seed, noise):
    tmtools = pytest.importorskip("tmtools")
    rng = np.random.default_rng(seed)
    ref = make_chain(int(rng.integers(40, 65)), rng).coords
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    model = (ref + rng.normal(0, noise, ref.shape)) @ (q * np.sign(np.linalg.det(q))).T + 4
    seq = "A" * len(ref)
    result = tmtools.tm_align(model, ref, seq, seq)
    assert "-" not in result.seqxA + result.seqyA  # TM-align kept residue i on residue i
    assert tm_score(model, ref) == pytest.approx(result.tm_norm_chain2, abs=1e-3)
    assert rmsd(model, ref) == pytest.approx(result.rmsd, abs=1e-3)


def test_mirror_image_scores_one_either_hand():
    x = make_chain(48, np.random.default_rng(5)).coords
    assert tm_score(x * [1, 1, -1], x) < 0.8
    assert tm_score_either_hand(x * [1, 1, -1], x) == pytest.approx(1.0)


def test_lddt_by_hand():
    x = np.array([[0.0, 0, 0], [3, 0, 0], [6, 0, 0]])
    assert lddt(x, x) == 1.0
    y = x.copy()
    y[2, 0] = 7.5  # pair (1,2) off by 1.5, pair (0,2) off by 1.5; (0,1) exact
    # thresholds 0.5, 1, 2, 4: kept 2/6, 2/6, 6/6, 6/6 of the ordered pairs
    assert lddt(y, x) == pytest.approx((2 / 6 + 2 / 6 + 1 + 1) / 4)


def test_mds_recovers_a_chain_from_its_distances():
    x = make_chain(30, np.random.default_rng(6)).coords
    assert rmsd(classical_mds(distance_matrix(x)), x) < 1e-6 or \
        rmsd(classical_mds(distance_matrix(x)) * [1, 1, -1], x) < 1e-6


def test_folding_from_the_true_distogram_recovers_the_fold():
    x = make_chain(40, np.random.default_rng(7)).coords
    path = fold(true_distogram(distance_matrix(x)), FoldConfig(iterations=40))
    assert tm_score_either_hand(path[-1], x) > 0.9
    assert np.allclose(np.diag(distance_matrix(path[-1]), 1), 3.8, atol=0.1)
