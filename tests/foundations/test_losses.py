import math

import pytest
import torch
import torch.nn.functional as F

from lecturelab.foundations.losses import (
    binary_cross_entropy_with_logits,
    cross_entropy,
    logistic_loss,
    mse_loss,
    nll,
)


def f64(*shape: int) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)


def test_mse_matches_torch_for_equal_shapes():
    pred, target = f64(6, 3), f64(6, 3).flip(0)
    assert torch.allclose(mse_loss(pred, target), F.mse_loss(pred, target), rtol=0, atol=1e-15)
    assert torch.allclose(mse_loss(pred, target, reduction="sum"),
                          F.mse_loss(pred, target, reduction="sum"))


def test_mse_refuses_to_broadcast_and_names_both_shapes():
    with pytest.raises(ValueError, match=r"pred has shape \(4, 1\) but target has shape \(4,\)"):
        mse_loss(torch.zeros(4, 1), torch.zeros(4))


def test_cross_entropy_hand_worked_and_against_torch():
    assert cross_entropy(torch.zeros(1, 2), torch.tensor([0])).item() == pytest.approx(math.log(2))
    logits, labels = 5 * f64(32, 7), torch.arange(32) % 7
    for reduction in ("mean", "sum", "none"):
        ours = cross_entropy(logits, labels, reduction=reduction)
        theirs = F.cross_entropy(logits, labels, reduction=reduction)
        assert ours.dtype == torch.float64
        assert torch.allclose(ours, theirs, rtol=1e-12, atol=0)


def test_cross_entropy_equals_nll_and_logistic_loss():
    logits, labels = 10 * f64(50, 2), torch.arange(50) % 2
    ce = cross_entropy(logits, labels, reduction="none")
    assert torch.allclose(nll(logits.softmax(1), labels, reduction="none"), ce, rtol=1e-12)
    z = logits[:, 1] - logits[:, 0]
    # logsumexp(z) - z_y cancels for tiny losses (abs. error ~1e-15); the logistic form does not
    assert torch.allclose(logistic_loss(z, labels, reduction="none"), ce, rtol=1e-12, atol=1e-13)


def test_logistic_loss_is_exact_for_large_margins():
    z = torch.tensor([30.0, -40.0], dtype=torch.float64)
    expected = torch.tensor([30 + math.log1p(math.exp(-30)), math.log1p(math.exp(-40))],
                            dtype=torch.float64)
    assert torch.allclose(logistic_loss(z, torch.tensor([0, 0]), reduction="none"), expected,
                          rtol=1e-15, atol=0)


def test_binary_cross_entropy_against_torch_and_shape_check():
    logits, targets = 4 * f64(20), (f64(20) > 0).double()
    theirs = F.binary_cross_entropy_with_logits(logits, targets)
    assert torch.allclose(binary_cross_entropy_with_logits(logits, targets), theirs, rtol=1e-12)
    with pytest.raises(ValueError, match=r"\(20, 1\).*\(20,\)"):
        binary_cross_entropy_with_logits(logits[:, None], targets)


def test_bad_labels_and_reduction():
    with pytest.raises(ValueError, match=r"\(B, K\).*\(3, 2\) and \(2,\)"):
        cross_entropy(torch.zeros(3, 2), torch.zeros(2, dtype=torch.long))
    with pytest.raises(ValueError, match="integer class indices"):
        cross_entropy(torch.zeros(3, 2), torch.zeros(3))
    with pytest.raises(ValueError, match="reduction"):
        mse_loss(torch.zeros(2), torch.zeros(2), reduction="avg")
    with pytest.raises(ValueError, match=r"logit_diff must have shape \(B,\)"):
        logistic_loss(torch.zeros(2, 1), torch.zeros(2, 1))
