"""One computational graph, two engines: the op adapters that let the same graph-building code
run on the NumPy engine of `lecturelab.foundations.autodiff` and on torch.autograd (lecture 2).

A graph is written once against `ops.affine`, `ops.relu`, `ops.max` and `ops.cross_entropy`;
passing `Engine` or `Torch` as `ops` builds it in one engine or the other, so their gradients can
be compared entry by entry (the micrograd / tinygrad way of testing a from-scratch op).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from lecturelab.foundations.autodiff import affine, reduce_max, relu, softmax_cross_entropy


class Engine:
    """The ops of the NumPy reverse-mode engine."""

    affine, relu = staticmethod(affine), staticmethod(relu)
    max, cross_entropy = staticmethod(reduce_max), staticmethod(softmax_cross_entropy)


class Torch:
    """The same ops in torch: `F.linear` (x W^T + b), ReLU, max over an axis, mean softmax-CE."""

    affine, relu = staticmethod(F.linear), staticmethod(torch.relu)

    @staticmethod
    def max(h: torch.Tensor, axis: int) -> torch.Tensor:
        return h.max(dim=axis).values

    @staticmethod
    def cross_entropy(logits: torch.Tensor, labels: np.ndarray) -> torch.Tensor:
        return F.cross_entropy(logits, torch.as_tensor(labels))
