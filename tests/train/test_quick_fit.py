"""Short scored training runs: `fit`, `accuracy`, `normalised`, `without_test`."""

import copy
import math

import pytest
import torch

from lecturelab.models.small_cnn import SmallCNN
from lecturelab.train.loop import TrainConfig
from lecturelab.train.quick_fit import accuracy, fit, normalised, without_test


def test_normalised_matches_the_loader_and_without_test_empties_the_test_split(tiny_images):
    data = tiny_images()
    x = normalised(data, data.x_test)
    assert torch.allclose(x[0, 1, 0, 0], (data.x_test[0, 1, 0, 0] / 255 - 0.5) / 0.25)
    assert len(without_test(data).y_test) == 0 and len(without_test(data).y_train) == 40


def test_fit_reports_last_epoch_loss_and_every_step(tiny_images):
    torch.manual_seed(0)
    fitted = fit(SmallCNN(widths=(4, 8), num_classes=4), tiny_images(), TrainConfig(
        epochs=2, batch_size=10, lr=0.01), torch.device("cpu"))
    assert len(fitted.step_losses) == 8
    assert math.isclose(fitted.train_loss, sum(fitted.step_losses[4:]) / 4, rel_tol=1e-6)
    assert 0.0 <= fitted.test_acc <= 1.0


def test_fit_trains_in_channels_last_on_request_and_matches_nchw_training(tiny_images):
    data, cpu = tiny_images(), torch.device("cpu")
    cfg = TrainConfig(epochs=2, batch_size=10, lr=0.01)
    torch.manual_seed(0)
    nhwc = SmallCNN(widths=(4, 8), num_classes=4)
    nchw = copy.deepcopy(nhwc)
    fast, plain = fit(nhwc, data, cfg, cpu, channels_last=True), fit(nchw, data, cfg, cpu)
    conv = nhwc.features[0].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    assert nchw.features[0].weight.is_contiguous()
    assert math.isclose(fast.train_loss, plain.train_loss, rel_tol=1e-4)


def test_accuracy_counts_the_argmax_on_the_asked_split(tiny_images):
    data = tiny_images()

    class Constant(torch.nn.Module):  # always predicts class 1
        def forward(self, x):
            return torch.tensor([0.0, 1.0, 0.0, 0.0]).expand(len(x), 4)

    device = torch.device("cpu")
    assert accuracy(Constant(), data, device) == pytest.approx(5 / 20)
    assert accuracy(Constant(), data, device, split="train") == pytest.approx(10 / 40)
    with pytest.raises(ValueError, match="split"):
        accuracy(Constant(), data, device, split="val")
