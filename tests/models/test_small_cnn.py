"""The lecture-3 SmallCNN: heads, the batch-norm switch, its classifier reset, bad settings."""

import pytest
import torch
from torch import nn

from lecturelab.models.small_cnn import SmallCNN
from lecturelab.registry import create_model


def test_small_cnn_heads_and_batchnorm_switch():
    x = torch.randn(3, 3, 32, 32)
    assert SmallCNN()(x).shape == (3, 10)
    flat = SmallCNN(widths=(4, 8, 16), pools=2, head="flatten", num_classes=5)
    assert flat.fc.in_features == 16 * 8 * 8 and flat(x).shape == (3, 5)
    plain = SmallCNN(norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in plain.modules())
    assert all(m.bias is not None for m in plain.modules() if isinstance(m, nn.Conv2d))
    plain.reset_classifier(2)
    assert plain(x).shape == (3, 2) and plain.num_classes == 2


def test_flatten_head_counts_the_floor_of_odd_pooled_sides():
    model = SmallCNN(widths=(4, 8, 8), head="flatten", input_size=28, in_chans=1)
    assert model.fc.in_features == 8 * 3 * 3  # 28 -> 14 -> 7 -> 3
    assert model(torch.randn(2, 1, 28, 28)).shape == (2, 10)


def test_registered_entry_point_is_the_default_small_cnn():
    model = create_model("small_cnn", num_classes=4)
    assert isinstance(model, SmallCNN) and model.num_classes == 4
    widths = [m.out_channels for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert widths == [16, 32, 64]


@pytest.mark.parametrize("kw", [dict(widths=()), dict(convs=0), dict(pools=4),
                                dict(head="max")])
def test_small_cnn_rejects_bad_settings(kw):
    with pytest.raises(ValueError):
        SmallCNN(**kw)
