import math

import pytest
import torch
from torch import nn

from lecturelab.nn.diagnostics import dead_relu_fraction, first_nonfinite, grad_norms, weight_norms


def hand_set_net() -> nn.Sequential:
    """1 -> 4 ReLU units: fires for x > 0, for x < 0, always (bias 1), never (bias -1)."""
    net = nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 1))
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[1.0], [-1.0], [0.0], [0.0]]))
        net[0].bias.copy_(torch.tensor([0.0, 0.0, 1.0, -1.0]))
    return net


def test_dead_fraction_hand_worked():
    net = hand_set_net()
    positive = torch.tensor([[1.0], [2.0]])
    assert dead_relu_fraction(net, [positive]) == {"1": 0.5}  # the x<0 unit and the dead one
    assert dead_relu_fraction(net, [positive, -positive]) == {"1": 0.25}  # pooled over batches


def test_dead_fraction_counts_channels_and_leaves_the_model_as_it_was():
    conv = nn.Conv2d(1, 2, 1)
    with torch.no_grad():
        conv.weight.copy_(torch.tensor([1.0, 1.0]).view(2, 1, 1, 1))
        conv.bias.copy_(torch.tensor([0.0, -100.0]))
    net = nn.Sequential(conv, nn.BatchNorm2d(2), nn.ReLU(inplace=True)).train()
    with torch.no_grad():
        net[1].weight.fill_(1.0)
    stats = net[1].running_mean.clone()
    fractions = dead_relu_fraction(net, [torch.randn(4, 1, 3, 3)])
    assert set(fractions) == {"2"} and fractions["2"] in (0.0, 0.5)
    assert net.training and torch.equal(net[1].running_mean, stats)
    assert not net[2]._forward_hooks


def test_weight_and_grad_norms_per_layer():
    net = hand_set_net()
    w = torch.tensor([1.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 1.0])  # layer 0's weight and bias
    assert weight_norms(net)["0"] == pytest.approx(w.norm().item())
    assert set(weight_norms(net)) == {"0", "2"}
    assert grad_norms(net) == {}
    net(torch.tensor([[3.0]])).sum().backward()
    expected = math.sqrt(net[2].weight.grad.square().sum() + net[2].bias.grad.square().sum())
    assert grad_norms(net)["2"] == pytest.approx(expected)


def test_first_nonfinite_names_the_parameter_or_its_grad():
    net = hand_set_net()
    assert first_nonfinite(net) is None
    net[2].bias.grad = torch.tensor([math.inf])
    assert first_nonfinite(net) == "2.bias.grad"
    with torch.no_grad():
        net[0].weight[1, 0] = math.nan
    assert first_nonfinite(net) == "0.weight"
