"""FLOPs counted from the operations a computation actually executes (lecture 2: the cost of
softmax in the number of classes).

torch's `FlopCounterMode` counts matrix products and convolutions only, so it reports 0 for a
softmax cross-entropy. `ExecutedFlops` is a `TorchDispatchMode`: every aten op that runs inside
it, forward or backward, passes through `__torch_dispatch__` with its real input and output
tensors, and is charged by what kind of op it is:

  elementwise (torch's `pointwise` tag, and `where`)   1 FLOP per output element
  reduction (sum, mean, amax, max, prod, ...)          1 FLOP per input element
  matrix product mm (M x K by K x N), bmm             2 M N K (times the batch)
  addmm (bias + mm)                                    2 M N K + M N
  views, copies, gathers, scatters, allocations        0 (data movement, no arithmetic)

A fused kernel without such a rule (e.g. `_log_softmax`, `nll_loss_forward`) is executed through
torch's own decomposition of it (`torch._decomp`), re-entering the mode, so the ops that run -
and are counted - are its elementary ones (max, subtract, exp, sum, log, ...), computing the same
values. An op with no rule and no decomposition is an error: nothing runs uncounted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import torch
from torch._decomp import decomposition_table
from torch.utils._python_dispatch import TorchDispatchMode
from torch.utils._pytree import tree_leaves

MOVEMENT = {  # ops that move, copy or allocate values without arithmetic
    "detach", "clone", "_to_copy", "copy_", "to", "lift_fresh", "alias", "gather", "scatter",
    "index_select", "index", "cat", "stack", "empty", "empty_like", "empty_strided", "zeros",
    "zeros_like", "ones", "ones_like", "full", "full_like", "fill_", "new_empty", "new_zeros",
    "new_ones", "new_full", "scalar_tensor", "_local_scalar_dense",
}
REDUCTIONS = {"sum", "mean", "amax", "amin", "max", "min", "prod", "argmax", "argmin", "any",
              "all"}
ELEMENTWISE_UNTAGGED = {"where"}  # a select per element, not tagged pointwise in every overload


class ExecutedFlops(TorchDispatchMode):
    """Counts FLOPs of the aten ops executed inside it: `total`, and `by_op` (op name -> FLOPs).

        with ExecutedFlops() as flops:
            F.cross_entropy(z, y).backward()
        flops.total
    """

    def __init__(self) -> None:
        super().__init__()
        self.by_op: Counter[str] = Counter()

    @property
    def total(self) -> int:
        return sum(self.by_op.values())

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = func.overloadpacket.__name__
        rule = flop_rule(func, name)
        if rule is None:
            if func not in decomposition_table:
                raise NotImplementedError(
                    f"ExecutedFlops has no FLOP rule and no decomposition for {func}")
            with self:  # run the elementary ops of the decomposition through this mode
                return decomposition_table[func](*args, **kwargs)
        out = func(*args, **kwargs)
        flops = rule(args, out)
        if flops:
            self.by_op[name] += flops
        return out


Rule = Callable[[tuple, Any], int]


def flop_rule(func: torch._ops.OpOverload, name: str) -> Rule | None:
    """How `func` is charged, or None when it must be decomposed first."""
    if func.is_view or name in MOVEMENT:
        return lambda args, out: 0
    if name in ("mm", "bmm"):
        return matmul_flops
    if name == "addmm":
        return addmm_flops
    if name in REDUCTIONS:
        return lambda args, out: args[0].numel()
    if torch.Tag.pointwise in func.tags or name in ELEMENTWISE_UNTAGGED:
        return lambda args, out: sum(t.numel() for t in tree_leaves(out)
                                     if isinstance(t, torch.Tensor))
    return None


def matmul_flops(args: tuple, out: torch.Tensor) -> int:
    """2 M N K per product of (M, K) by (K, N), times the batch for bmm."""
    return 2 * out.numel() * args[0].shape[-1]  # out: (M, N) or (B, M, N)


def addmm_flops(args: tuple, out: torch.Tensor) -> int:
    """addmm(bias, a, b): the product a @ b, then M N additions of the bias."""
    return 2 * out.numel() * args[1].shape[-1] + out.numel()


def count_flops(fn: Callable[[], Any]) -> ExecutedFlops:
    """Run `fn()` (e.g. a forward and backward pass) and return the counter it ran under."""
    with ExecutedFlops() as counter:
        fn()
    return counter
