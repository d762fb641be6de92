"""The focal loss against torchvision.ops.sigmoid_focal_loss, values and gradients."""

import math

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss as tv_focal_loss

from lecturelab.detection.focal_loss import easiest_share, prior_bias, sigmoid_focal_loss


@pytest.mark.parametrize(("alpha", "gamma"), [(0.25, 2.0), (0.5, 1.0), (None, 2.0), (None, 0.0)])
def test_matches_torchvision(alpha, gamma):
    g = torch.Generator().manual_seed(0)
    logits = (torch.randn(64, 5, generator=g) * 4).requires_grad_()
    targets = (torch.rand(64, 5, generator=g) < 0.2).float()
    ours = sigmoid_focal_loss(logits, targets, alpha=alpha, gamma=gamma)
    theirs = tv_focal_loss(logits, targets, alpha=-1 if alpha is None else alpha, gamma=gamma)
    assert torch.allclose(ours, theirs, atol=1e-6)
    (grad_ours,) = torch.autograd.grad(ours.sum(), logits)
    (grad_theirs,) = torch.autograd.grad(theirs.sum(), logits)
    assert torch.allclose(grad_ours, grad_theirs, atol=1e-6)


def test_gamma_zero_is_cross_entropy_and_easy_examples_are_down_weighted():
    logits, targets = torch.tensor([3.0, -3.0, 0.0]), torch.tensor([1.0, 0.0, 1.0])
    ce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    assert torch.allclose(sigmoid_focal_loss(logits, targets, alpha=None, gamma=0.0), ce)
    focal = sigmoid_focal_loss(logits, targets, alpha=None, gamma=2.0)
    p_t = torch.sigmoid(torch.tensor(3.0))
    assert torch.allclose(focal[0], ce[0] * (1 - p_t) ** 2)
    assert torch.allclose(focal[2], ce[2] * 0.25)  # p_t = 0.5


def test_prior_bias():
    assert torch.sigmoid(torch.tensor(prior_bias(0.01))).item() == pytest.approx(0.01)
    assert prior_bias(0.01) == pytest.approx(-math.log(99))
    with pytest.raises(ValueError, match="prior"):
        prior_bias(1.0)


def test_easiest_share():
    losses = torch.tensor([1.0] * 9 + [91.0])
    assert easiest_share(losses, 0.9) == pytest.approx(0.09)
    assert easiest_share(torch.tensor([2.0, 2.0]), 1.0) == pytest.approx(1.0)


def test_bad_input():
    with pytest.raises(ValueError, match="same shape"):
        sigmoid_focal_loss(torch.zeros(3), torch.zeros(4))
    with pytest.raises(ValueError, match="gamma"):
        sigmoid_focal_loss(torch.zeros(3), torch.zeros(3), gamma=-1.0)
