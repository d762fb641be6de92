"""l2.xor's side-by-side training: each net follows the path it would follow alone."""

import torch

from lecturelab.data import xor_points
from lecturelab.experiments.lecture2.xor import train_xor
from lecturelab.foundations.losses import binary_cross_entropy_with_logits
from lecturelab.models.mlp import MLP


def alone(x: torch.Tensor, y: torch.Tensor, seed: int, steps: int) -> MLP:
    torch.manual_seed(seed)
    model = MLP(2, 1, width=3, depth=1, activation="sigmoid", init="xavier")
    optimizer = torch.optim.SGD(model.parameters(), lr=2.0)
    for _ in range(steps):
        loss = binary_cross_entropy_with_logits(model(x)[:, 0], y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def test_nets_trained_side_by_side_equal_nets_trained_alone():
    x_np, y_np = xor_points()
    x, y = torch.tensor(x_np, dtype=torch.float32), torch.tensor(y_np, dtype=torch.float32)
    together = train_xor(x, y, width=3, seeds=range(4, 7), steps=60, lr=2.0)
    assert len(together) == 3
    for seed, model in zip(range(4, 7), together, strict=True):
        reference = alone(x, y, seed, steps=60)
        for p, q in zip(model.parameters(), reference.parameters(), strict=True):
            assert torch.allclose(p, q, atol=1e-5)
    assert not torch.allclose(together[0].head.weight, together[1].head.weight)
