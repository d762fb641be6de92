import math

import pytest
import torch
from torch import nn

from lecturelab.models.mlp import MLP, init_linear
from lecturelab.registry import create_model


def test_shapes_for_vectors_and_images():
    torch.manual_seed(0)
    model = MLP(40, 10, width=32, depth=3)
    assert model(torch.randn(5, 40)).shape == (5, 10)
    assert model.forward_features(torch.randn(5, 40)).shape == (5, 32)
    images = MLP(3 * 8 * 8, 4)
    assert images(torch.randn(2, 3, 8, 8)).shape == (2, 4)


def test_depth_zero_is_a_linear_model():
    model = MLP(3, 2, depth=0)
    x = torch.randn(4, 3)
    assert torch.equal(model(x), model.head(x)) and model.forward_features(x).shape == (4, 3)


def test_hidden_layers_are_linear_plus_activation_modules():
    model = MLP(2, 1, width=8, depth=3, activation="tanh")
    assert sum(isinstance(m, nn.Tanh) for m in model.modules()) == 3
    assert sum(isinstance(m, nn.Linear) for m in model.modules()) == 4


def test_reset_classifier():
    model = MLP(6, 3, width=5)
    model.reset_classifier(7)
    assert model.num_classes == 7 and model(torch.randn(2, 6)).shape == (2, 7)


@pytest.mark.parametrize(("init", "kwargs", "std"), [
    ("he", {}, math.sqrt(2 / 400)),
    ("xavier", {}, math.sqrt(2 / (400 + 300))),
    ("normal", {"init_std": 0.5}, 0.5),
    ("scaled", {"alpha": 3.0}, 3.0 / math.sqrt(400)),
])
def test_weight_scale_of_each_init(init, kwargs, std):
    torch.manual_seed(0)
    layer = nn.Linear(400, 300)
    init_linear(layer, init=init, bias_init=0.25, **kwargs)
    assert layer.weight.std().item() == pytest.approx(std, rel=0.01)
    assert layer.weight.mean().abs().item() < 0.01 * std
    assert torch.all(layer.bias == 0.25)


def test_default_init_is_pytorchs():
    torch.manual_seed(0)
    ours = MLP(4, 2, width=3, depth=1, init="default")
    torch.manual_seed(0)
    theirs = nn.Linear(4, 3), nn.Linear(3, 2)
    assert torch.equal(ours.features[0].weight, theirs[0].weight)
    assert torch.equal(ours.head.bias, theirs[1].bias)


def test_bad_arguments_and_inputs():
    with pytest.raises(ValueError, match="activation"):
        MLP(2, 1, activation="gelu")
    with pytest.raises(ValueError, match="init"):
        MLP(2, 1, init="orthogonal")
    with pytest.raises(ValueError, match="width"):
        MLP(2, 1, width=0)
    with pytest.raises(ValueError, match=r"expects 40 input features.*\(3, 41\)"):
        MLP(40, 2)(torch.randn(3, 41))


def test_registered_entry_point_takes_input_shape():
    model = create_model("mlp", num_classes=10, input_shape=(1, 8, 8))
    assert model.in_features == 64 and model.default_input_size == (1, 8, 8)
    assert model(torch.randn(2, 1, 8, 8)).shape == (2, 10)
    assert [m.out_features for m in model.features if isinstance(m, nn.Linear)] == [64, 64]
    assert create_model("mlp", input_shape=(3, 8, 8), in_chans=1).in_features == 64
    assert create_model("mlp", num_classes=3, input_shape=(40,), width=16).num_features == 16
