"""Linear-region counting on hand-worked ReLU nets and the tent-map construction."""

import numpy as np
import pytest
import torch

from lecturelab.foundations.regions import (
    ReLUNet,
    breakpoints_1d,
    count_linear_pieces_1d,
    count_regions_1d,
    count_regions_2d,
    random_relu_net,
    tent_map_network,
)


def shallow(kinks, slopes=None):
    """One hidden layer: unit i is relu(x - kinks[i]), output weights `slopes` (default 1)."""
    kinks = np.asarray(kinks, float)
    out = np.ones(len(kinks)) if slopes is None else np.asarray(slopes, float)
    return ReLUNet.from_layers([(np.ones((len(kinks), 1)), -kinks), (out[None], np.zeros(1))])


def test_single_relu_has_two_pieces():
    net = shallow([0.0])
    assert count_regions_1d(net, -1.0, 1.0) == 2
    np.testing.assert_allclose(breakpoints_1d(net, -1.0, 1.0), [0.0])
    assert count_regions_1d(net, 0.5, 1.0) == 1  # the kink lies outside


def test_shallow_net_with_n_units_has_at_most_n_plus_one_pieces():
    assert count_regions_1d(shallow([0.1, 0.3, 0.5, 0.7]), 0.0, 1.0) == 5
    assert count_regions_1d(shallow([0.2, 0.2, 0.9]), 0.0, 1.0) == 3  # two kinks coincide
    rng = np.random.default_rng(0)
    for _ in range(20):
        net = random_relu_net((1, 6), rng=rng)
        assert count_regions_1d(net, -3.0, 3.0) <= 7


@pytest.mark.parametrize("depth", [1, 2, 3, 5, 10])
def test_tent_map_network_has_two_to_the_depth_pieces(depth):
    net = tent_map_network(depth)
    assert count_regions_1d(net, 0.0, 1.0) == 2**depth
    np.testing.assert_allclose(breakpoints_1d(net, 0.0, 1.0), np.arange(1, 2**depth) / 2**depth,
                               atol=1e-12)


def test_tent_map_network_computes_the_sawtooth():
    x = np.linspace(0, 1, 1001)
    tent = np.minimum(2 * x, 2 - 2 * x)
    np.testing.assert_allclose(tent_map_network(1)(x[:, None])[:, 0], tent, atol=1e-12)
    np.testing.assert_allclose(tent_map_network(2)(x[:, None])[:, 0],
                               np.minimum(2 * tent, 2 - 2 * tent), atol=1e-12)


def test_linear_pieces_merge_regions_with_equal_slopes():
    net = shallow([0.2, 0.5, 0.8], slopes=[1.0, 0.0, -2.0])  # the unit at 0.5 does not bend f
    assert count_regions_1d(net, 0.0, 1.0) == 4
    assert count_linear_pieces_1d(net, 0.0, 1.0) == 3
    assert count_linear_pieces_1d(tent_map_network(6), 0.0, 1.0) == 64


def test_exact_count_agrees_with_a_fine_grid():
    net = random_relu_net((1, 8, 8, 8), rng=np.random.default_rng(1))
    x = np.linspace(-2, 2, 200_001)[:, None]
    patterns = net.activation_pattern(x)
    grid_count = 1 + int(np.any(patterns[1:] != patterns[:-1], axis=1).sum())
    assert count_regions_1d(net, -2.0, 2.0) == grid_count


def test_count_regions_2d_on_a_hand_worked_net():
    # the lines x = 0, y = 0, x + y = 1 cut [-1, 2]^2 into 7 regions: all 8 patterns but
    # (x < 0, y < 0, x + y > 1)
    w = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    net = ReLUNet.from_layers([(w, np.array([0.0, 0.0, -1.0])), (np.ones((1, 3)), np.zeros(1))])
    assert count_regions_2d(net, (-1.0, 2.0, -1.0, 2.0), resolution=301) == 7


def test_from_torch_matches_the_module():
    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Linear(5, 1))
    net = ReLUNet.from_torch(module)
    x = np.random.default_rng(0).normal(size=(10, 2))
    np.testing.assert_allclose(net(x), module(torch.tensor(x).float()).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="1 input"):
        count_regions_1d(random_relu_net((2, 3), rng=np.random.default_rng(0)), 0.0, 1.0)
    with pytest.raises(ValueError, match="lo < hi"):
        count_regions_1d(tent_map_network(2), 1.0, 0.0)
    with pytest.raises(ValueError, match="depth"):
        tent_map_network(0)
    with pytest.raises(ValueError, match="layer 1 takes"):
        ReLUNet.from_layers([(np.ones((3, 1)), np.zeros(3)), (np.ones((1, 2)), np.zeros(1))])
