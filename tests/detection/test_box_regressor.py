"""The lecture's class + box regressor (detection/box_regressor.py)."""

import pytest
import torch

from lecturelab.detection.box_regressor import (
    best_match_iou,
    box_regressor,
    decode,
    regressed_boxes,
    regression_loss,
    train_box_regressor,
)


def test_best_match_iou_takes_the_closest_true_box():
    boxes = torch.tensor([[0.0, 0.0, 10.0, 10.0]])
    target = {"boxes": torch.tensor([[20.0, 20.0, 30.0, 30.0], [0.0, 0.0, 10.0, 20.0]])}
    assert best_match_iou(boxes, [target]).tolist() == pytest.approx([0.5])


def test_decode_maps_centre_size_fractions_to_xyxy_pixels():
    output = torch.zeros(1, 5 + 4)
    output[0, -4:] = torch.logit(torch.tensor([0.5, 0.25, 0.5, 0.25]))  # x_c, y_c, w, h
    logits, boxes = decode(output, 64)
    assert logits.shape == (1, 5)
    assert boxes[0].tolist() == pytest.approx([16.0, 8.0, 48.0, 24.0], abs=1e-4)


def test_l2_loss_over_several_objects_is_minimised_by_their_mean():
    target = {"boxes": torch.tensor([[0.0, 0.0, 16.0, 16.0], [32.0, 32.0, 64.0, 64.0]]),
              "labels": torch.tensor([1, 1])}
    mean = torch.tensor([[(8 + 48) / 2, (8 + 48) / 2, (16 + 32) / 2, (16 + 32) / 2]]) / 64
    raw = torch.logit(mean).requires_grad_()
    output = torch.cat([torch.zeros(1, 5), raw], 1)
    regression_loss(output, [target], 64, box_weight=1.0).backward()
    assert raw.grad.abs().max() < 1e-6


def test_box_regressor_output_shape():
    out = box_regressor(4, 5, 64)(torch.rand(2, 3, 64, 64))
    assert out.shape == (2, 5 + 4)


def test_training_fits_one_box_per_image_and_skips_empty_scenes():
    images = torch.zeros(4, 3, 32, 32)
    images[:, :, 8:24, 8:24] = 1.0  # one white square, the same in every scene
    box = {"boxes": torch.tensor([[8.0, 8.0, 24.0, 24.0]]), "labels": torch.tensor([2])}
    empty = {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)}
    targets = [box, box, box, empty]
    model = train_box_regressor(images, targets, num_classes=3, width=4, steps=60,
                                batch_size=4, lr=1e-2, box_weight=100.0, seed=0,
                                device=torch.device("cpu"))
    assert not model.training
    boxes = regressed_boxes(model, images[:3], torch.device("cpu"))
    assert best_match_iou(boxes, targets[:3]).min() > 0.8
