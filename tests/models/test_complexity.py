"""Parameter and multiply-add counts: hand-worked layers, and the papers' numbers at 224x224
(models built on the meta device: shapes only, no memory, no init time)."""

import pytest
import torch
from torch import nn

from lecturelab.models import mobilenet, resnet, vgg  # noqa: F401 - registers the models
from lecturelab.models.complexity import count_macs, count_params
from lecturelab.nn.conv import depthwise_separable_conv, same_conv
from lecturelab.registry import create_model


def meta_model(name: str) -> nn.Module:
    with torch.device("meta"):
        return create_model(name)


def test_hand_worked_conv_and_linear_macs():
    conv = nn.Conv2d(3, 8, 5, stride=2)  # 14x14 output from 32x32
    assert count_macs(conv, (3, 32, 32)) == 3 * 8 * 25 * 14 * 14
    assert count_params(conv) == 3 * 8 * 25 + 8
    head = nn.Sequential(nn.Flatten(), nn.Linear(12, 5))
    assert count_macs(head, (3, 2, 2)) == 12 * 5


def test_separable_over_standard_cost_is_one_over_c_out_plus_one_over_k_squared():
    c_in, c_out, k = 16, 32, 3
    standard = same_conv(c_in, c_out, k, bias=False)
    separable = depthwise_separable_conv(c_in, c_out, k, bias=False)
    expected = 1 / c_out + 1 / k**2
    assert count_params(separable) / count_params(standard) == pytest.approx(expected, abs=1e-12)
    ratio = count_macs(separable, (c_in, 9, 9)) / count_macs(standard, (c_in, 9, 9))
    assert ratio == pytest.approx(expected, abs=1e-12)


def test_trainable_only_and_mode_restored():
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))
    model[0].weight.requires_grad_(False)
    assert count_params(model) == 18 + 2 + 4 and count_params(model, trainable_only=True) == 6
    model.train()
    count_macs(model, (1, 5, 5))
    assert model.training
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        count_macs(model, (5, 5))


@pytest.mark.parametrize(("name", "macs", "published", "params"), [
    ("resnet152", 11.51e9, 11.3e9, 60.19e6),  # v1.5 strides; He et al. 2016a, Table 1 (v1)
    ("vgg19", 19.63e9, 19.6e9, 143.67e6),  # He et al. 2016a, Fig. 3
    ("mobilenet_v2", 300.8e6, 300e6, 3.505e6),  # Sandler et al. 2018, Table 4 (3.4M params)
])
def test_published_costs_at_224(name, macs, published, params):
    model = meta_model(name)
    measured = count_macs(model, (3, 224, 224))
    assert measured == pytest.approx(macs, rel=1e-3)
    assert measured == pytest.approx(published, rel=0.05)
    assert count_params(model) == pytest.approx(params, rel=1e-3)


def test_bottlenecks_make_resnet152_cheaper_than_vgg19():
    ratio = count_macs(meta_model("resnet152"), (3, 224, 224)) / count_macs(
        meta_model("vgg19"), (3, 224, 224))
    assert ratio < 0.65
