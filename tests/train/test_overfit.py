import pytest
import torch

from lecturelab.models.mlp import MLP
from lecturelab.train.overfit import overfit_one_batch


def batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(0)
    return torch.randn(16, 10, generator=g), torch.arange(16) % 4


def test_a_correct_model_overfits_one_batch():
    torch.manual_seed(0)
    report = overfit_one_batch(MLP(10, 4, width=32), batch(), steps=300, lr=1e-2)
    assert report.passed and report.final_loss < 0.01
    assert report.steps_taken == len(report.losses) - 1 <= 300
    assert report.losses[0] > 1.0 and report.final_loss == report.losses[-1]


def test_a_pipeline_that_shuffles_labels_each_step_is_flagged():
    x, y = batch()
    g = torch.Generator().manual_seed(1)
    torch.manual_seed(0)

    def shuffled() -> tuple[torch.Tensor, torch.Tensor]:
        return x, y[torch.randperm(16, generator=g)]

    report = overfit_one_batch(MLP(10, 4, width=32), shuffled, steps=100, lr=1e-2)
    assert not report.passed and report.steps_taken == 100 and len(report.losses) == 101
    assert min(report.losses) > 0.5


def test_stops_as_soon_as_the_target_is_met_and_uses_the_given_loss():
    x = torch.randn(4, 2)
    report = overfit_one_batch(MLP(2, 1), (x, torch.zeros(4, 1)), steps=10, target_loss=1e9,
                               loss_fn=lambda p, t: ((p - t) ** 2).mean())
    assert report.passed and report.steps_taken == 0 and len(report.losses) == 1


def test_rejects_an_empty_budget_and_shape_bugs():
    with pytest.raises(ValueError, match="steps"):
        overfit_one_batch(MLP(10, 4), batch(), steps=0)
    with pytest.raises(ValueError, match=r"\(B, K\)"):
        overfit_one_batch(MLP(10, 4), (torch.randn(3, 10), torch.zeros(3, 1, dtype=torch.long)))
