"""Bumps of sigmoid pairs and the hand-built universal approximator."""

import math

import pytest
import torch

from lecturelab.foundations.approximators import BumpNetwork, bump, bumps_for


def test_bump_is_height_inside_and_zero_outside():
    x = torch.tensor([0.0, 0.3, 0.5, 0.7, 1.0], dtype=torch.float64)
    y = bump(x, 0.25, 0.75, 2.0, steepness=1e4)
    torch.testing.assert_close(y, torch.tensor([0.0, 2.0, 2.0, 2.0, 0.0], dtype=torch.float64))
    assert bump(torch.tensor(0.25), 0.25, 0.75, 2.0, steepness=1e4).item() == pytest.approx(1.0)


def test_network_is_the_sum_of_its_bumps():
    edges = torch.tensor([0.0, 0.2, 0.5, 1.0], dtype=torch.float64)
    heights = torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64)
    net = BumpNetwork(edges, heights, steepness=50.0)
    assert net.num_bumps == 3
    assert net.hidden.out_features == 6  # 2 neurons a bump
    x = torch.linspace(-0.5, 1.5, 201, dtype=torch.float64)
    expected = sum(bump(x, edges[i].item(), edges[i + 1].item(), heights[i].item(), steepness=50.0)
                   for i in range(3))
    torch.testing.assert_close(net(x), expected, rtol=1e-12, atol=1e-12)


def test_three_bumps_match_a_step_target():
    steps = torch.tensor([0.6, -0.3, 0.9], dtype=torch.float64)
    target = lambda x: steps[(x * 3).long().clamp(max=2)]  # noqa: E731
    net = bumps_for(target, 3, steepness=1000.0)
    x = torch.linspace(0, 1, 3001, dtype=torch.float64)
    away = torch.stack([(x - e).abs() for e in (0, 1 / 3, 2 / 3, 1)]).min(0).values >= 0.01
    assert (net(x) - target(x))[away].abs().max() <= 0.01


def test_sine_error_shrinks_with_more_bumps():
    f = lambda x: torch.sin(2 * math.pi * x)  # noqa: E731
    x = torch.linspace(0, 1, 4001, dtype=torch.float64)
    errors = [(bumps_for(f, k, steepness=1e4)(x) - f(x)).abs().max().item() for k in (8, 64)]
    assert errors[1] <= 0.1
    assert errors[0] / errors[1] >= 4


def test_bad_input_raises():
    with pytest.raises(ValueError, match="left < right"):
        bump(torch.zeros(3), 1.0, 0.0, 1.0, steepness=10.0)
    with pytest.raises(ValueError, match="at least 1"):
        bumps_for(torch.sin, 0, steepness=10.0)
    with pytest.raises(ValueError, match="k \\+ 1 edges"):
        BumpNetwork(torch.zeros(3), torch.zeros(3), steepness=1.0)
