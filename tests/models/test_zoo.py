"""One generic test over every registered model (the timm way): forward shape, no NaN, a
gradient for every parameter, `num_classes` override, `forward_features` and
`reset_classifier`; each at the smallest input the model takes, batch 2 (BN needs > 1)."""

import pytest
import torch
import torch.nn.functional as F

import lecturelab.models  # noqa: F401 - registers the models the package exports
from lecturelab.models import (  # noqa: F401 - registers the lecture-3 zoo
    alexnet,
    cifar_resnet,
    densenet,
    efficientnet,
    googlenet,
    lenet,
    mnasnet,
    mobilenet,
    resnet,
    senet,
    vgg,
)
from lecturelab.registry import create_model, list_models

MIN_IMAGE_SIZE = {"alexnet": 64}  # the rest take 32x32 (LeNet-5: exactly 32 by default)


def example_input(name: str, model: torch.nn.Module) -> torch.Tensor:
    """A (2, C, H, W) batch: the model's `default_input_size` if it has one, else C = in_chans."""
    shape = getattr(model, "default_input_size", None)
    if shape is None:
        size = MIN_IMAGE_SIZE.get(name, 32)
        shape = (getattr(model, "in_chans", 3), size, size)
    return torch.randn(2, *shape)


@pytest.mark.parametrize("name", list_models())
def test_model_contract(name):
    torch.manual_seed(0)
    model = create_model(name, num_classes=7).train()
    assert model.num_classes == 7
    x = example_input(name, model)
    out = model(x)
    assert out.shape == (2, 7) and torch.isfinite(out).all()
    F.cross_entropy(out, torch.tensor([0, 6])).backward()
    no_grad = [n for n, p in model.named_parameters() if p.grad is None]
    assert not no_grad, f"parameters without gradient: {no_grad[:5]}"
    assert all(torch.isfinite(p.grad).all() for p in model.parameters())
    model.eval()
    with torch.no_grad():
        assert model.forward_features(x).shape[0] == 2
        model.reset_classifier(3)
        assert model.num_classes == 3 and model(x).shape == (2, 3)


def test_googlenet_auxiliary_heads_get_gradients():
    torch.manual_seed(0)
    model = create_model("googlenet", num_classes=5, aux_logits=True).train()
    outputs = model.forward_with_aux(torch.randn(2, 3, 32, 32))
    assert [o.shape for o in outputs] == [(2, 5)] * 3
    sum(o.square().mean() for o in outputs).backward()
    assert all(p.grad is not None for p in model.parameters())
    model.reset_classifier(4)
    assert model.aux1.fc2.out_features == model.aux2.fc2.out_features == 4
    with pytest.raises(ValueError, match="aux_logits=True"):
        create_model("googlenet").forward_with_aux(torch.randn(2, 3, 32, 32))


@pytest.mark.parametrize(("name", "shape"), [("lenet5", (1, 28, 28)), ("lenet5", (3, 32, 32)),
                                             ("resnet20", (3, 32, 32))])
def test_input_shape_is_accepted(name, shape):
    model = create_model(name, num_classes=10, input_shape=shape, in_chans=shape[0]).eval()
    assert model(torch.randn(2, *shape)).shape == (2, 10)


def test_bad_inputs_raise_value_errors():
    with pytest.raises(ValueError, match=r"\(B, 3, H, W\)"):
        create_model("resnet18")(torch.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="image_size"):
        create_model("lenet5", input_shape=(1, 30, 30))
    with pytest.raises(ValueError, match=r"6n\+2"):
        cifar_resnet.cifar_resnet(21)
