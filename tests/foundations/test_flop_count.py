"""FLOPs counted from executed ops, on hand-worked small cases and against FlopCounterMode."""

import pytest
import torch
import torch.nn.functional as F
from torch.utils.flop_counter import FlopCounterMode

from lecturelab.foundations.flop_count import ExecutedFlops, count_flops


def test_elementwise_ops_cost_one_flop_per_output_element():
    x, y, z = torch.ones(2, 3), torch.ones(2, 3), torch.ones(1, 3)
    counted = count_flops(lambda: x * y + z)  # mul 6, add 6 (broadcast output)
    assert counted.total == 12 and counted.by_op == {"mul": 6, "add": 6}


def test_reductions_cost_one_flop_per_input_element_and_views_are_free():
    x = torch.ones(4, 5)
    assert count_flops(lambda: x.sum()).total == 20
    assert count_flops(lambda: x.amax(1, keepdim=True)).total == 20
    assert count_flops(lambda: x.view(20).t()).total == 0


def test_matrix_products_cost_2mnk_as_flop_counter_mode_counts_them():
    a, b = torch.ones(2, 3), torch.ones(3, 4)
    assert count_flops(lambda: a @ b).total == 2 * 2 * 4 * 3
    assert count_flops(lambda: torch.bmm(a[None], b[None])).total == 48
    layer = torch.nn.Linear(3, 4)
    counted = count_flops(lambda: layer(a))  # addmm: 48 for the product, 8 for the bias
    with FlopCounterMode(display=False) as reference:
        layer(a)
    assert counted.total == 56 == reference.get_total_flops() + 8


def test_fused_log_softmax_runs_as_its_elementary_ops():
    z = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    with ExecutedFlops() as counted:
        out = F.log_softmax(z, dim=1)
    # amax 6 (input), subtract 6, exp 6, sum 6 (input), log 2, subtract 6
    assert counted.by_op == {"amax": 6, "sub": 12, "exp": 6, "sum": 6, "log": 2}
    torch.testing.assert_close(out, torch.log_softmax(z, dim=1))


def test_counted_cross_entropy_computes_torch_values_and_gradients():
    z = torch.randn(3, 7, generator=torch.Generator().manual_seed(0), requires_grad=True)
    y = torch.tensor([0, 6, 2])
    with ExecutedFlops() as counted:
        loss = F.cross_entropy(z, y)
        (grad,) = torch.autograd.grad(loss, z)
    torch.testing.assert_close(loss, F.cross_entropy(z, y))
    torch.testing.assert_close(grad, torch.autograd.grad(F.cross_entropy(z, y), z)[0])
    assert set(counted.by_op) >= {"amax", "exp", "log", "sum"}


def test_an_op_without_a_rule_or_decomposition_is_an_error():
    x = torch.ones(3)
    with pytest.raises(NotImplementedError, match="no FLOP rule"):
        count_flops(lambda: torch.ops.aten._fft_r2c(x, [0], 0, True))
