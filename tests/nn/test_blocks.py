"""Lecture-3 building blocks: convolution arithmetic against torch and scipy, hand-worked
residual / dense / inception / SE / MBConv cases, and p4 group-convolution equivariance."""

import random

import numpy as np
import pytest
import scipy.signal
import torch
import torch.nn.functional as F
from torch import nn

from lecturelab.nn import conv
from lecturelab.nn.blocks import (
    BasicBlock,
    Bottleneck,
    PreActBlock,
    ZeroPadShortcut,
    make_shortcut,
)
from lecturelab.nn.dense import DenseBlock, Transition
from lecturelab.nn.group_conv import P4GroupConv, P4LiftingConv, pool_rotations
from lecturelab.nn.inception import InceptionModule
from lecturelab.nn.mbconv import InvertedResidual
from lecturelab.nn.se import SqueezeExcitation


def n_params(m: nn.Module) -> int:
    return sum(p.numel() for p in m.parameters())


def rot(x: torch.Tensor) -> torch.Tensor:
    return torch.rot90(x, 1, dims=(-2, -1))


def test_conv_output_size_matches_torch_on_random_configurations():
    rng = random.Random(0)
    for _ in range(200):
        n, k, s, d = rng.randint(1, 40), rng.randint(1, 7), rng.randint(1, 4), rng.randint(1, 3)
        p = rng.randint(0, 4)
        if n + 2 * p < d * (k - 1) + 1:
            with pytest.raises(ValueError, match="does not fit"):
                conv.conv_output_size(n, k, s, p, d)
            continue
        x, w = torch.empty(1, 1, n, n, device="meta"), torch.empty(1, 1, k, k, device="meta")
        out = F.conv2d(x, w, stride=s, padding=p, dilation=d)
        assert out.shape[-1] == conv.conv_output_size(n, k, s, p, d)
        p = min(p, d * (k - 1) // 2)
        up = F.conv_transpose2d(x, w, stride=s, padding=p, dilation=d)
        assert up.shape[-1] == conv.transposed_conv_output_size(n, k, s, p, d)


@pytest.mark.parametrize(("mode", "make"), [("valid", conv.valid_conv), ("full", conv.full_conv),
                                            ("same", conv.same_conv)])
def test_valid_full_same_equal_scipy_correlate2d(mode, make):
    torch.manual_seed(0)
    image, kernel = torch.randn(11, 13), torch.randn(5, 5)
    layer = make(1, 1, 5, bias=False)
    layer.weight.data = kernel[None, None]
    ours = layer(image[None, None])[0, 0].detach().numpy()
    ref = scipy.signal.correlate2d(image.numpy(), kernel.numpy(), mode=mode)
    np.testing.assert_allclose(ours, ref, atol=1e-5)


def test_strided_dilated_depthwise_transposed_and_separable_arithmetic():
    x = torch.randn(1, 4, 15, 15)
    assert conv.strided_conv(4, 6, 3, stride=2)(x).shape[-2:] == (8, 8)  # ceil(15 / 2)
    assert conv.dilated_conv(4, 6, 3, dilation=3)(x).shape[-2:] == (15, 15)
    assert conv.transposed_conv(4, 6, 3, stride=2)(x).shape[-2:] == (30, 30)
    assert conv.transposed_conv(4, 6, 4, stride=2)(x).shape[-2:] == (30, 30)
    assert n_params(conv.depthwise_conv(8, 3)) == 8 * 9 + 8
    assert n_params(conv.depthwise_conv(8, 3, bias=False)) == 8 * 9
    separable = n_params(conv.depthwise_separable_conv(8, 16, 3, bias=False))
    assert separable / (8 * 16 * 9) == pytest.approx(1 / 16 + 1 / 9, abs=1e-12)
    with pytest.raises(ValueError, match="odd effective kernel"):
        conv.same_conv(1, 1, 4)
    with pytest.raises(ValueError, match="stride >= 2"):
        conv.strided_conv(1, 1, 3, stride=1)


@pytest.mark.parametrize(("k", "d"), [(3, 1), (3, 2), (5, 3), (2, 4)])
def test_dilated_kernel_sees_d_times_k_minus_1_plus_1_pixels(k, d):
    layer = nn.Conv2d(1, 1, k, dilation=d, bias=False)
    nn.init.ones_(layer.weight)
    x = torch.zeros(1, 1, 25, 25, requires_grad=True)
    layer(x)[0, 0, 0, 0].backward()
    assert int((x.grad[0, 0, 0] != 0).sum()) == k  # k taps ...
    first, last = torch.nonzero(x.grad[0, 0, 0])[[0, -1], 0].tolist()
    assert last - first + 1 == conv.receptive_field(k, d)  # ... spread over d(k-1)+1 pixels


def test_locally_connected_counts_and_equals_conv_when_weights_are_shared():
    lc = conv.LocallyConnected2d(3, 16, (32, 32), 3, padding=1)
    assert n_params(lc) == 32 * 32 * 16 * (3 * 9 + 1)
    small = conv.LocallyConnected2d(2, 5, (7, 6), 3, stride=2)
    shared = nn.Conv2d(2, 5, 3, stride=2)
    small.weight.data[:] = shared.weight.data.flatten(1)
    small.bias.data[:] = shared.bias.data[:, None, None]
    x = torch.randn(3, 2, 7, 6)
    torch.testing.assert_close(small(x), shared(x), atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match=r"\(B, 2, 7, 6\)"):
        small(torch.randn(3, 2, 7, 7))


def zeroed(block: nn.Module, last: str) -> nn.Module:
    """The block in eval mode with its residual branch's last layer scaled to zero."""
    nn.init.zeros_(getattr(block, last).weight)
    return block.eval()


def test_residual_block_with_zero_branch_is_relu_of_the_shortcut():
    x = torch.randn(2, 8, 6, 6)
    torch.testing.assert_close(zeroed(BasicBlock(8, 8), "bn2")(x), x.relu())
    option_a = zeroed(BasicBlock(8, 16, stride=2, shortcut="A"), "bn2")
    padded = torch.cat([x[:, :, ::2, ::2], torch.zeros(2, 8, 3, 3)], dim=1)
    torch.testing.assert_close(option_a(x), padded.relu())
    wide = x.repeat(1, 4, 1, 1)
    torch.testing.assert_close(zeroed(Bottleneck(32, 8), "bn3")(wide), wide.relu())
    plain = zeroed(BasicBlock(8, 8, shortcut="none"), "bn2")
    assert plain.shortcut is None and plain(x).abs().max() == 0


def test_shortcut_kinds_and_v1_5_stride_placement():
    assert isinstance(make_shortcut("B", 8, 8, 1), nn.Identity)
    assert isinstance(make_shortcut("A", 8, 16, 2), ZeroPadShortcut)
    assert n_params(make_shortcut("B", 8, 16, 2)) == 8 * 16 + 2 * 16  # 1x1 conv + BN
    assert isinstance(PreActBlock(8, 16, stride=2).shortcut, nn.Conv2d)  # v2: no BN
    block = Bottleneck(64, 32, stride=2)
    assert block.conv1.stride == (1, 1) and block.conv2.stride == (2, 2)
    assert block(torch.randn(2, 64, 8, 8)).shape == (2, 128, 4, 4)
    with pytest.raises(ValueError, match="shortcut must be"):
        make_shortcut("C", 8, 8, 1)


def test_preact_identity_path_is_clean():
    block = zeroed(PreActBlock(8, 8), "conv2")
    x = torch.randn(2, 8, 5, 5)
    torch.testing.assert_close(block(x), x)  # no ReLU after the addition


def test_inception_module_concatenates_four_branches():
    module = InceptionModule(16, 4, 6, 8, 2, 3, 5, kernel_5x5=3)
    assert module(torch.randn(2, 16, 7, 7)).shape == (2, 4 + 8 + 3 + 5, 7, 7)
    wide = InceptionModule(16, 4, 6, 8, 2, 3, 5, kernel_5x5=5)
    assert n_params(wide) - n_params(module) == (25 - 9) * 2 * 3


def test_dense_block_keeps_its_input_and_grows_by_k_per_layer():
    block, x = DenseBlock(3, 10, 4).eval(), torch.randn(2, 10, 6, 6)
    out = block(x)
    assert out.shape == (2, 10 + 3 * 4, 6, 6) and out[:, :10].equal(x)
    assert Transition(22, 11)(out).shape == (2, 11, 3, 3)


def test_squeeze_excitation_sees_beyond_the_receptive_field():
    torch.manual_seed(0)
    layer, se = nn.Conv2d(4, 4, 3, padding=1), SqueezeExcitation(4, 2)

    def far_gradient(net: nn.Module) -> float:
        x = torch.randn(1, 4, 9, 9, requires_grad=True)
        net(x)[0, 0, 4, 4].backward()
        return x.grad[0, :, 0, 0].abs().sum().item()  # (0, 0) is outside the centre's 3x3

    assert far_gradient(nn.Sequential(layer, se)) > 0
    assert far_gradient(layer) == 0
    with pytest.raises(ValueError, match="squeeze_channels"):
        SqueezeExcitation(4, 0)


def test_inverted_residual_structure_and_stochastic_depth():
    block = InvertedResidual(8, 8, expand_ratio=6, se_channels=2, drop_path=0.5)
    assert block.use_residual and block.expand.conv.out_channels == 48
    assert InvertedResidual(8, 16, expand_ratio=1).expand is None
    x = torch.randn(16, 8, 5, 5)
    block.eval()
    assert block(x).equal(block(x))  # stochastic depth off in eval
    block.train()
    torch.manual_seed(0)
    kept = (block(x) - x).flatten(1).abs().amax(1) > 0
    assert 0 < kept.sum() < 16  # some samples' residual branch dropped
    with pytest.raises(ValueError, match="stride"):
        InvertedResidual(8, 8, expand_ratio=6, stride=3)


def test_p4_convolutions_are_rotation_equivariant():
    torch.manual_seed(0)
    lift, group = P4LiftingConv(3, 4, 3, padding=1), P4GroupConv(4, 5, 3, padding=1)
    x, f = torch.randn(2, 3, 11, 11), torch.randn(2, 4, 4, 11, 11)  # image, p4 map
    turned_f = rot(f.roll(1, dims=2))  # the rotation acting on a p4 map
    torch.testing.assert_close(lift(rot(x)), rot(lift(x).roll(1, dims=2)), atol=1e-5, rtol=0)
    torch.testing.assert_close(group(turned_f), rot(group(f).roll(1, dims=2)), atol=1e-5, rtol=0)
    plain = nn.Conv2d(3, 4, 3, padding=1)
    error = (plain(rot(x)) - rot(plain(x))).abs().max() / plain(x).abs().max()
    assert error > 0.1


def test_p4_network_with_rotation_pooling_is_invariant():
    torch.manual_seed(0)
    lift, group = P4LiftingConv(1, 4, 3, padding=1), P4GroupConv(4, 4, 3, padding=1)

    def net(x: torch.Tensor) -> torch.Tensor:
        return pool_rotations(group(lift(x).relu())).mean((2, 3))

    x = torch.randn(2, 1, 9, 9)
    for r in range(1, 4):
        torch.testing.assert_close(net(torch.rot90(x, r, dims=(2, 3))), net(x), atol=1e-5,
                                   rtol=0)
    with pytest.raises(ValueError, match=r"\(B, 4, 4, H, W\)"):
        group(torch.randn(2, 4, 9, 9))
