"""The NumPy autodiff engine against torch.autograd, central differences and hand-worked graphs."""

import numpy as np
import pytest
import torch

from lecturelab.foundations.autodiff import (
    Tensor,
    affine,
    jacobian,
    reduce_max,
    softmax_cross_entropy,
)
from lecturelab.foundations.graph_ops import Engine, Torch


def mlp_loss(ops, x, params, labels):
    """affine -> relu -> affine, a max-over-units term and softmax-CE; `ops` picks the engine."""
    w1, b1, w2, b2, gate = params
    h = ops.relu(ops.affine(x, w1, b1)) * gate
    logits = ops.affine(h, w2, b2)
    return ops.cross_entropy(logits, labels) + ops.max(h, 1).sum() * 0.5


def random_problem(seed: int):
    rng = np.random.default_rng(seed)
    b, d, h, k = 5, 4, 6, 3
    arrays = [rng.normal(size=s) for s in [(h, d), (h,), (k, h), (k,), (h,)]]
    return rng.normal(size=(b, d)), arrays, rng.integers(0, k, b)


@pytest.mark.parametrize("seed", range(5))
def test_gradients_match_torch_autograd(seed):
    x, arrays, labels = random_problem(seed)
    params = [Tensor(a) for a in arrays]
    loss = mlp_loss(Engine, Tensor(x), params, labels)
    loss.backward()
    ref_params = [torch.tensor(a, requires_grad=True) for a in arrays]
    ref = mlp_loss(Torch, torch.tensor(x), ref_params, labels)
    ref.backward()
    assert loss.data == pytest.approx(ref.item(), rel=1e-12)
    for p, r in zip(params, ref_params, strict=True):
        np.testing.assert_allclose(p.grad, r.grad.numpy(), rtol=1e-10, atol=1e-14)


def test_gradients_match_central_differences():
    x, arrays, labels = random_problem(7)
    params = [Tensor(a) for a in arrays]
    mlp_loss(Engine, Tensor(x), params, labels).backward()

    def loss_at(k, i, step):
        moved = [a.copy() for a in arrays]
        moved[k][i] += step
        return mlp_loss(Engine, Tensor(x), [Tensor(a) for a in moved], labels).data

    eps = 1e-6
    for k, p in enumerate(params):
        numeric = np.zeros_like(p.data)
        for i in np.ndindex(p.shape):
            numeric[i] = (loss_at(k, i, eps) - loss_at(k, i, -eps)) / (2 * eps)
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-6, atol=1e-8)


def test_max_routes_gradient_to_the_arg_max_only():
    x = Tensor(np.array([[1.0, 3.0, 2.0], [5.0, 5.0, 0.0]]))  # a tie in row 2
    (reduce_max(x, 1) * np.array([2.0, 7.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [[0.0, 2.0, 0.0], [7.0, 0.0, 0.0]])


def test_hand_worked_graph():
    a, b = Tensor(np.array([2.0, -1.0])), Tensor(np.array([3.0, 4.0]))
    y = (a * b + a).relu().sum()  # relu([8, -5]) -> 8
    y.backward()
    assert y.data == 8.0
    np.testing.assert_array_equal(a.grad, [4.0, 0.0])  # d/da (ab + a) = b + 1, masked by relu
    np.testing.assert_array_equal(b.grad, [2.0, 0.0])


def test_shared_node_accumulates_gradient():
    a = Tensor(np.array(3.0))
    (a * a + a).backward()  # d/da (a^2 + a) = 2a + 1
    assert a.grad == 7.0


def test_broadcast_add_sums_gradient():
    x, b = Tensor(np.ones((4, 3))), Tensor(np.zeros(3))
    (x + b).sum().backward()
    np.testing.assert_array_equal(b.grad, [4.0, 4.0, 4.0])


def test_softmax_cross_entropy_gradient_is_softmax_minus_onehot():
    z = np.array([[1.0, 2.0, 0.5]])
    logits = Tensor(z)
    softmax_cross_entropy(logits, np.array([1])).backward()
    p = np.exp(z) / np.exp(z).sum()
    np.testing.assert_allclose(logits.grad, p - np.array([[0.0, 1.0, 0.0]]), rtol=1e-14)


def test_linear_layer_jacobian_is_exactly_w():
    rng = np.random.default_rng(0)
    w, b = rng.normal(size=(4, 3)), rng.normal(size=4)
    j = jacobian(lambda x: affine(x, Tensor(w), Tensor(b)), rng.normal(size=(1, 3)))
    np.testing.assert_array_equal(j, w)


def test_bad_input_raises():
    with pytest.raises(ValueError, match="labels must lie"):
        softmax_cross_entropy(Tensor(np.zeros((2, 3))), np.array([0, 3]))
    with pytest.raises(ValueError, match="affine needs"):
        affine(Tensor(np.zeros((2, 3))), Tensor(np.zeros((4, 2))), Tensor(np.zeros(4)))
    with pytest.raises(ValueError, match="needs a seed"):
        Tensor(np.zeros(3)).backward()
