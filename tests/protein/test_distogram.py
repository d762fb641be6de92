import numpy as np
import pytest
import torch

from lecturelab.protein.distogram import (
    BINS,
    WIDTH,
    bin_centres,
    contact_probability,
    distance_to_bin,
    top_contact_precision,
)
from lecturelab.protein.network import DistogramNet


def test_binning_round_trip():
    centres = bin_centres()
    assert len(centres) == 64 and centres[0] == pytest.approx(2 + WIDTH / 2)
    assert np.array_equal(distance_to_bin(centres), np.arange(BINS))
    d = np.linspace(2.0, 21.99, 500)
    assert np.abs(bin_centres()[distance_to_bin(d)] - d).max() <= WIDTH / 2 + 1e-12
    assert distance_to_bin(np.array([0.5, 40.0])).tolist() == [0, 63]
    assert torch.equal(distance_to_bin(torch.tensor(centres)), torch.arange(BINS))


def test_contact_probability_of_sharp_distograms():
    probs = np.zeros((BINS, 1, 2))
    probs[distance_to_bin(np.array(5.0)), 0, 0] = 1
    probs[distance_to_bin(np.array(12.0)), 0, 1] = 1
    assert contact_probability(probs).tolist() == [[1.0, 0.0]]


def test_top_l5_long_range_precision_by_hand():
    length = 50  # top 10 pairs at separation >= 24
    distances = np.full((length, length), 20.0)
    scores = np.zeros((length, length))
    for k in range(10):
        scores[k, 30 + k] = 1.0 + k
        distances[k, 30 + k] = 5.0 if k % 2 else 9.0
    scores[0, 5] = 100.0  # short range: not counted
    assert top_contact_precision(scores, distances) == pytest.approx(0.5)
    with pytest.raises(ValueError, match="same"):
        top_contact_precision(scores, distances[:10])


def test_distogram_net_is_symmetric_with_64_bins():
    net = DistogramNet(6, channels=8, blocks=2).eval()
    out = net(torch.randn(2, 6, 12, 12))
    assert out.shape == (2, 64, 12, 12)
    assert torch.allclose(out, out.transpose(-1, -2))
