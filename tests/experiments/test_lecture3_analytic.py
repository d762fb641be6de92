"""Helpers of the analytic lecture-3 experiments, on hand-worked cases and against torch."""

import numpy as np
import pytest
import torch
from torch import nn

from lecturelab.experiments.lecture3 import (
    architecture_zoo,
    conv_variants,
    group_equivariance,
    small_kernels,
    squeeze_excitation,
    translation_equivariance,
    weight_sharing,
)


def test_dilate_kernel_puts_d_minus_1_zeros_between_taps():
    w = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(conv_variants.dilate_kernel(w, 2),
                                  [[1, 0, 2], [0, 0, 0], [3, 0, 4]])
    np.testing.assert_array_equal(conv_variants.dilate_kernel(w, 1), w)


@pytest.mark.parametrize("mode", ["valid", "full", "same"])
def test_scipy_conv_matches_a_grouped_strided_dilated_torch_conv(mode):
    torch.manual_seed(0)
    padding = {"valid": 0, "full": 4, "same": 2}[mode]  # d(k-1) = 4 for k=3, d=2
    stride = 2 if mode == "same" else 1
    conv = nn.Conv2d(4, 6, 3, padding=padding, dilation=2, groups=2, stride=stride).double()
    x = torch.randn(1, 4, 9, 11, dtype=torch.float64)
    with torch.no_grad():
        expected = conv(x)[0].numpy()
    np.testing.assert_allclose(conv_variants.scipy_conv(x[0].numpy(), conv, mode), expected,
                               atol=1e-12)


def test_extent_spans_first_to_last_nonzero_row():
    grad = np.zeros((7, 3))
    grad[[1, 4], 0] = 1.0
    assert conv_variants.extent(grad) == 4
    assert small_kernels.support_extent(grad) == (4, 1)
    assert small_kernels.support_extent(np.zeros((3, 3))) == (0, 0)


def test_dilated_gradient_support_is_d_k_minus_1_plus_1():
    assert conv_variants.extent(conv_variants.gradient_support(3, 3, seed=0)) == 7


def test_weight_sharing_closed_forms_by_hand():
    forms = weight_sharing.closed_forms(weight_sharing.WeightSharingConfig())
    assert forms == {"fully_connected": 3072 * 16384 + 16384,
                     "locally_connected": 1024 * 16 * 27 + 16384,
                     "convolutional": 16 * 27 + 16}
    assert weight_sharing.shared_lc_error(
        weight_sharing.WeightSharingConfig(size=6, out_channels=2), seed=0) < 1e-5


def test_vgg_stack_has_9nC2_weights():
    assert sum(p.numel() for p in small_kernels.stack(2, 4).parameters()) == 2 * 9 * 16
    assert sum(p.numel() for p in small_kernels.stack(1, 4, in_channels=1).parameters()) == 36


def test_outside_window_drops_the_3x3_around_the_pixel_clipped_at_the_border():
    assert squeeze_excitation.outside_window(np.ones((5, 5)), (0, 0)).size == 25 - 4
    assert squeeze_excitation.outside_window(np.ones((5, 5)), (2, 2)).size == 25 - 9


def test_circular_conv_commutes_with_shifts_and_a_dense_layer_does_not():
    x = torch.rand(4, 1, 12, 12)
    errors = translation_equivariance.layer_errors(x, max_shift=2, seed=0)
    assert errors["conv"] < 1e-6 and errors["fully_connected"] > 0.5
    shifted = translation_equivariance.shift(torch.arange(4.0).reshape(1, 4), 0, 1)
    assert shifted.tolist() == [[3.0, 0.0, 1.0, 2.0]]


def test_p4_classifier_is_rotation_invariant_and_the_ordinary_one_is_not():
    torch.manual_seed(0)
    x = torch.randn(3, 1, 10, 10, dtype=torch.float64)
    for p4, invariant in ((True, True), (False, False)):
        model = group_equivariance.RotationClassifier(channels=4, layers=1, p4=p4).double()
        model.eval()
        with torch.no_grad():
            outs = [model(group_equivariance.rot(x, r)) for r in range(4)]
        assert all(torch.allclose(o, outs[0], atol=1e-10) for o in outs[1:]) == invariant


def test_zoo_references_by_kind():
    counts = {"resnet18": 11_689_512}
    assert architecture_zoo.reference("resnet18", counts.get)[:2] == ("torchvision", 11_689_512)
    assert architecture_zoo.reference("lenet5", counts.get)[:2] == ("published", 60_000)
    assert architecture_zoo.reference("preact_resnet18", counts.get)[:2] == ("published",
                                                                             11_689_512)
    assert architecture_zoo.reference("mlp", counts.get) == ("none", None,
                                                             "no reference: reported only")


def test_randomise_fills_every_tensor_or_refuses():
    with torch.device("meta"):
        model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4), nn.Flatten(),
                              nn.Linear(4, 2))
    filled = architecture_zoo.randomise(model)
    assert all(torch.isfinite(t).all() for t in filled.state_dict().values())
    with torch.device("meta"):
        unknown = nn.Sequential(nn.LayerNorm(4))
    with pytest.raises(ValueError, match="does not know"):
        architecture_zoo.randomise(unknown)


def test_forward_backward_names_parameters_without_a_finite_gradient():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.used, self.unused, self.broken = nn.Linear(3, 2), nn.Linear(3, 2), nn.Linear(3, 2)
            self.broken.bias.register_hook(lambda g: torch.full_like(g, float("nan")))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.used(x) + self.broken(x)

    torch.manual_seed(0)
    names = architecture_zoo.forward_backward(Net(), torch.randn(4, 3))
    assert names == ["unused.weight", "unused.bias", "broken.bias"]
