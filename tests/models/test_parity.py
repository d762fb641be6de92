"""Zoo vs torchvision: equal parameter counts, and equal eval outputs with transferred weights.

torchvision's model is initialised randomly (weights=None, no download), its batch-norm
statistics and affine parameters are randomised too (so BN is not the identity), and our model
is built on the meta device (its own init would be overwritten) and filled by from_torchvision.
"""

import pytest
import torch
import torchvision
from torch import nn

from lecturelab.models import (  # noqa: F401 - importing registers the zoo
    alexnet,
    densenet,
    efficientnet,
    googlenet,
    mnasnet,
    mobilenet,
    resnet,
    vgg,
)
from lecturelab.models.parity import from_torchvision
from lecturelab.registry import create_model

PAIRS = ["alexnet", "googlenet", "mobilenet_v2", "mnasnet1_0",
         *(f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")),
         *(f"resnet{d}" for d in (18, 34, 50, 101, 152)),
         *(f"densenet{d}" for d in (121, 169, 201)),
         *(f"efficientnet_b{i}" for i in range(4))]
INPUT_SIZE = {"alexnet": 64}  # the others take 32x32


def torchvision_model(name: str, **kw) -> nn.Module:
    if name == "googlenet":
        kw = {"aux_logits": False, "init_weights": False, **kw}
    tv = getattr(torchvision.models, name)(weights=None, **kw)
    with torch.no_grad():
        for m in tv.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0.0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.normal_(0.0, 0.1)
    return tv.eval()


def transferred(name: str, tv: nn.Module, **kw) -> nn.Module:
    with torch.device("meta"):
        model = create_model(name, **kw)
    return from_torchvision(model.to_empty(device="cpu"), tv).eval()


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", PAIRS)
def test_same_parameter_count_and_outputs_as_torchvision(name):
    torch.manual_seed(0)
    tv = torchvision_model(name)
    ours = transferred(name, tv)
    assert count(ours) == count(tv)
    size = INPUT_SIZE.get(name, 32)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), tv(x), atol=1e-5, rtol=1e-5)


def test_googlenet_auxiliary_heads_transfer_too():
    torch.manual_seed(0)
    tv = torchvision_model("googlenet", aux_logits=True)
    ours = transferred("googlenet", tv, aux_logits=True)
    assert count(ours) == count(tv)
    x = torch.randn(2, 3, 32, 32)
    for model in (tv, ours):  # only a training-mode torchvision GoogLeNet returns aux logits
        model.train()
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.eval()
    theirs, (logits, aux1, aux2) = tv(x), ours.forward_with_aux(x)
    for a, b in ((logits, theirs.logits), (aux1, theirs.aux_logits1), (aux2, theirs.aux_logits2)):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=1e-5)


def test_mismatched_architectures_are_refused():
    tv = torchvision.models.resnet18(weights=None)
    with pytest.raises(ValueError, match="missing"):
        from_torchvision(create_model("resnet34"), tv)
    with pytest.raises(ValueError, match="loads into ResNet"):
        from_torchvision(create_model("mobilenet_v2"), tv)
    with pytest.raises(ValueError, match="tv_model must be one of"):
        from_torchvision(create_model("resnet18"), torchvision.models.squeezenet1_0())


def test_efficientnet_stochastic_depth_rates_match_torchvision():
    tv = torchvision.models.efficientnet_b1(weights=None)
    with torch.device("meta"):
        ours = create_model("efficientnet_b1")
    theirs = [block.stochastic_depth.p for stage in tv.features[1:-1] for block in stage]
    assert [block.drop_path for block in ours.blocks] == pytest.approx(theirs)
    assert max(theirs) > 0.19  # on in training; the eval-mode parity above has it off
