"""U-Net: shapes through the U, the decoder's maps at every scale, and what cutting skips does."""

import pytest
import torch

from lecturelab.segmentation.unet import DoubleConv, UDecoder, UEncoder, UNet


def test_output_has_the_input_size_and_every_parameter_learns():
    torch.manual_seed(0)
    net = UNet(3, 6, depth=3, width=4)
    x = torch.randn(2, 3, 32, 24)
    out = net(x)
    assert out.shape == (2, 6, 32, 24) and torch.isfinite(out).all()
    out.square().mean().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())


def test_encoder_and_decoder_scales():
    encoder = UEncoder(1, depth=2, width=3)
    features = encoder(torch.randn(1, 1, 16, 16))
    assert encoder.channels == [3, 6, 12]
    assert [tuple(f.shape[1:]) for f in features] == [(3, 16, 16), (6, 8, 8), (12, 4, 4)]
    decoded = UDecoder(encoder.channels)(features)
    assert [tuple(d.shape[1:]) for d in decoded] == [(3, 16, 16), (6, 8, 8), (12, 4, 4)]
    assert decoded[-1] is features[-1]


def test_without_skips_only_the_coarsest_map_matters():
    torch.manual_seed(0)
    features = [torch.randn(2, 4, 16, 16), torch.randn(2, 8, 8, 8), torch.randn(2, 16, 4, 4)]
    cut, joined = UDecoder([4, 8, 16], skips=False).eval(), UDecoder([4, 8, 16]).eval()
    changed = [torch.randn_like(features[0]), torch.randn_like(features[1]), features[2]]
    assert torch.equal(cut(features)[0], cut(changed)[0])
    assert not torch.allclose(joined(features)[0], joined(changed)[0])


def test_skips_add_the_concatenation_parameters_only():
    with_skips, without = UNet(3, 2, depth=2, width=4), UNet(3, 2, depth=2, width=4, skips=False)
    extra = sum(p.numel() for p in with_skips.parameters()) - sum(
        p.numel() for p in without.parameters())
    assert extra == 9 * (4 * 4 + 8 * 8)  # first 3x3 conv of each merge sees C more channels
    assert isinstance(with_skips.decoder.merge[0], DoubleConv)


def test_bad_input():
    with pytest.raises(ValueError, match="divisible by 8, got \\(1, 3, 20, 16\\)"):
        UNet(3, 2, depth=3, width=2)(torch.randn(1, 3, 20, 16))
    with pytest.raises(ValueError, match="need depth, width, num_classes >= 1"):
        UNet(depth=0)
    with pytest.raises(ValueError, match="expected 3 encoder maps, got 2"):
        UDecoder([2, 4, 8])([torch.randn(1, 2, 4, 4), torch.randn(1, 4, 2, 2)])
