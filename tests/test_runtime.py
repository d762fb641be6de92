"""computed_once: the one way to train once per process and share the result."""

import numpy as np
import torch
from threadpoolctl import threadpool_info

from lecturelab.runtime import computed_once, cpu_threads, forget_computed


def blas_threads() -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_computed_once_shares_one_result_however_arguments_are_spelled():
    calls = []

    @computed_once
    def train(size: int, loss: str = "focal") -> list:
        calls.append((size, loss))
        return [size, loss]

    first = train(8)
    assert train(8, "focal") is first and train(size=8, loss="focal") is first
    assert train(8, loss="bce") is not first
    assert calls == [(8, "focal"), (8, "bce")]
    forget_computed()
    assert train(8) is not first and len(calls) == 3


def test_cpu_threads_limits_torch_and_numpy_blas_and_restores_both():
    np.ones((2, 2)) @ np.ones((2, 2))  # NumPy's BLAS is loaded
    torch_before, blas_before = torch.get_num_threads(), blas_threads()
    assert blas_before  # a BLAS pool is there to limit
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
        assert blas_threads() == [1] * len(blas_before)
    assert torch.get_num_threads() == torch_before and blas_threads() == blas_before
