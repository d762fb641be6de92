"""Training a segmenter by pixel-wise cross-entropy and segmenting in batches."""

import torch
from torch import nn

from lecturelab.segmentation.training import segment, train_segmenter


def test_a_per_pixel_rule_is_learnt_and_segmented_in_batches():
    gen = torch.Generator().manual_seed(0)
    images = torch.rand(32, 3, 8, 8, generator=gen)
    labels = (images[:, 0] > 0.5).long()  # (N, H, W): class 1 where the red channel is bright
    torch.manual_seed(0)
    model = train_segmenter(nn.Conv2d(3, 2, 1), images, labels, steps=200, batch_size=8, lr=0.1,
                            seed=0)
    assert not model.training
    pred = segment(model, images, batch=5)
    assert pred.shape == labels.shape
    assert (pred == labels).float().mean() > 0.95
