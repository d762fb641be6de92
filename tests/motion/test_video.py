"""Video nets: torchvision parity of the three video ResNets, causal 3-D convolution,
inflation on a static clip, SlowFast, the video segmenter and the registered contract."""

import pytest
import torch
from torchvision.models import video as tvv

from lecturelab.models.complexity import count_params
from lecturelab.motion import video_models
from lecturelab.motion.causal import CausalConv3d
from lecturelab.motion.inflate import inflate
from lecturelab.motion.segmentation import VideoSegmenter
from lecturelab.motion.slowfast import SlowFast, count_macs
from lecturelab.motion.video import from_torchvision
from lecturelab.registry import create_model


@pytest.mark.parametrize("name", ["r3d_18", "mc3_18", "r2plus1d_18"])
def test_torchvision_parity(name):
    torch.manual_seed(0)
    theirs = getattr(tvv, name)(weights=None).eval()
    ours = video_models.create(name).eval()
    assert count_params(ours) == count_params(theirs)
    from_torchvision(ours, theirs)
    clip = torch.randn(1, 3, 2, 16, 16)
    with torch.no_grad():
        assert torch.allclose(ours(clip), theirs(clip), atol=1e-5)


def test_from_torchvision_refuses_another_architecture():
    with pytest.raises(ValueError, match="does not match"):
        from_torchvision(video_models.create("r3d_18"), tvv.mc3_18(weights=None))


@pytest.mark.parametrize("name", video_models.list())
def test_video_model_contract(name):
    torch.manual_seed(0)
    model = video_models.create(name, num_classes=7, widths=(8, 8, 8, 8)).train()
    clip = torch.randn(2, *model.default_input_size)
    out = model(clip)
    assert out.shape == (2, 7) and torch.isfinite(out).all()
    out.sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    assert model.forward_features(clip).shape[0] == 2
    model.reset_classifier(3)
    assert model.num_classes == 3 and model(clip).shape == (2, 3)


def test_causal_conv_ignores_the_future_and_an_ordinary_conv_does_not():
    torch.manual_seed(0)
    causal, ordinary = CausalConv3d(2, 3, 3), torch.nn.Conv3d(2, 3, 3, padding=1)
    assert count_params(causal) == count_params(ordinary)
    clip = torch.randn(1, 2, 6, 5, 5)
    later = clip.clone()
    later[:, :, 4:] = torch.randn(1, 2, 2, 5, 5)  # change frames 4 and 5
    a, b = causal(clip), causal(later)
    assert a.shape == clip.shape[:1] + (3,) + clip.shape[2:]
    assert torch.equal(a[:, :, :4], b[:, :, :4]) and not torch.equal(a[:, :, 4:], b[:, :, 4:])
    assert not torch.equal(ordinary(clip)[:, :, 3], ordinary(later)[:, :, 3])
    with pytest.raises(ValueError, match="sets its own padding"):
        CausalConv3d(2, 3, 3, padding=1)


@pytest.mark.parametrize("name", ["resnet18", "vgg11_bn"])
def test_inflated_net_on_a_static_clip_gives_the_2d_logits(name):
    torch.manual_seed(0)
    net2d = create_model(name, num_classes=5).eval()
    for m in net2d.modules():  # non-trivial batch-norm statistics
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
    net3d = inflate(net2d).eval()
    kernels = {m.kernel_size for m in net3d.modules() if isinstance(m, torch.nn.Conv3d)}
    assert (3, 3, 3) in kernels and not any(isinstance(m, torch.nn.Conv2d) and
                                            not isinstance(m, torch.nn.Conv3d)
                                            for m in net3d.modules())
    image = torch.randn(2, 3, 32, 32)
    clip = image[:, :, None].expand(-1, -1, 4, -1, -1)  # one frame repeated
    with torch.no_grad():
        assert torch.allclose(net3d(clip), net2d(image), atol=1e-5)
    assert net3d.forward_features(clip).shape[:3] == (2, 512, 4)
    net3d.reset_classifier(2)
    assert net3d(clip).shape == (2, 2)


def test_slowfast_shapes_laterals_and_fast_cost():
    torch.manual_seed(0)
    sf, slow = SlowFast(6, alpha=4), SlowFast(6, alpha=4, fast=False)
    clip = torch.randn(2, 3, 16, 32, 32)
    assert sf(clip).shape == slow(clip).shape == (2, 6)
    assert len(sf.laterals) == 2 and not slow.laterals
    extra = count_macs(sf, (3, 16, 32, 32)) / count_macs(slow, (3, 16, 32, 32)) - 1
    assert 0 < extra < 0.2
    with pytest.raises(ValueError, match="multiple of alpha"):
        sf(clip[:, :, :6])


def test_frame_wise_segmenter_labels_each_frame_on_its_own():
    torch.manual_seed(0)
    frame_wise, temporal = VideoSegmenter(3, 4, width=4), VideoSegmenter(3, 4, width=4,
                                                                         time_kernel=3)
    frame_wise.eval(), temporal.eval()
    clip = torch.randn(1, 3, 4, 16, 16)
    other = clip.clone()
    other[:, :, 1] = 0
    assert frame_wise(clip).shape == (1, 4, 4, 16, 16)
    assert torch.equal(frame_wise(clip)[:, :, 0], frame_wise(other)[:, :, 0])
    assert not torch.equal(temporal(clip)[:, :, 0], temporal(other)[:, :, 0])
