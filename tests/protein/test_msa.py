import numpy as np
import pytest

from lecturelab.protein.chains import make_chain
from lecturelab.protein.features import (
    apc,
    covariation_statistic,
    feature_channels,
    frequencies,
    mutual_information,
    pair_features,
)
from lecturelab.protein.msa import (
    PottsModel,
    greedy_colouring,
    potts_on_contacts,
    sample_alignment,
)


def test_gibbs_sampler_matches_an_exact_two_site_distribution():
    rng = np.random.default_rng(0)
    fields = rng.normal(0, 0.5, (2, 3))
    couplings = np.zeros((2, 2, 3, 3))
    couplings[0, 1] = rng.normal(0, 1.0, (3, 3))
    couplings[1, 0] = couplings[0, 1].T
    seqs = sample_alignment(PottsModel(fields, couplings), 20000, rng, sweeps=3)
    logp = fields[0][:, None] + fields[1][None] + couplings[0, 1]
    exact = np.exp(logp) / np.exp(logp).sum()
    counts = np.zeros((3, 3))
    np.add.at(counts, (seqs[:, 0], seqs[:, 1]), 1)
    assert np.abs(counts / len(seqs) - exact).max() < 0.015


def test_colour_groups_hold_no_coupled_pair():
    rng = np.random.default_rng(1)
    model = potts_on_contacts(make_chain(50, rng).coords, rng)
    coupled = model.coupled()
    groups = greedy_colouring(coupled)
    assert sorted(np.concatenate(groups).tolist()) == list(range(50))
    for g in groups:
        assert not coupled[np.ix_(g, g)].any()


def test_strong_couplings_are_recovered_by_the_statistic_alone():
    rng = np.random.default_rng(2)
    chain = make_chain(30, rng)
    model = potts_on_contacts(chain.coords, rng, strength=(1.0, 1.5), fraction=1.0)
    stat = covariation_statistic(sample_alignment(model, 1000, rng), 4)
    coupled = np.triu(model.coupled())
    pairs = np.argwhere(np.triu(np.ones((30, 30), bool), 1))
    k = int(coupled.sum())
    top = pairs[np.argsort(-stat[pairs[:, 0], pairs[:, 1]])[:k]]
    assert coupled[top[:, 0], top[:, 1]].mean() >= 0.8


def test_mutual_information_of_copies_is_the_entropy_and_of_independent_columns_near_zero():
    rng = np.random.default_rng(3)
    a = rng.integers(0, 4, 5000)
    seqs = np.stack([a, a, rng.integers(0, 4, 5000)], axis=1)
    single, pair = frequencies(seqs, 4, pseudocount=0.0)
    mi = mutual_information(single, pair)
    entropy = -(single[0] * np.log(single[0])).sum()
    assert mi[0, 1] == pytest.approx(entropy, rel=1e-6)
    assert mi[0, 2] < 0.01


def test_apc_removes_a_product_background():
    row = np.array([1.0, 2.0, 3.0, 4.0])
    s = np.outer(row, row) * 0 + 1.0  # a constant background: APC subtracts it exactly
    assert np.allclose(apc(s), 0.0)


def test_pair_features_shape():
    seqs = np.random.default_rng(4).integers(0, 4, (50, 20))
    assert pair_features(seqs, 4).shape == (feature_channels(4), 20, 20)
