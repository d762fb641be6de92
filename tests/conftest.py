"""Fixtures shared by the test folders."""

import os

import pytest
import torch

from lecturelab.data import ClassificationData


def pytest_configure(config):
    """Under pytest-xdist (`make test` runs `-n auto`), each worker gets its share of the
    cores for torch's threads, so that workers do not fight over them."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    if workers > 1:
        torch.set_num_threads(max(1, (os.cpu_count() or 1) // workers))


def make_tiny_images(n_train: int = 40, n_test: int = 20, size: int = 8,
                     seed: int = 0) -> ClassificationData:
    """Random uint8 images of 4 classes, the smallest dataset a CNN trains on."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, 256, (n_train + n_test, 3, size, size), dtype=torch.uint8, generator=gen)
    y = torch.arange(n_train + n_test) % 4
    return ClassificationData("tiny", x[:n_train], y[:n_train], x[n_train:], y[n_train:],
                              num_classes=4, classes=("a", "b", "c", "d"),
                              mean=(0.5, 0.5, 0.5), std=(0.25, 0.25, 0.25))


@pytest.fixture
def tiny_images():
    return make_tiny_images
