"""DistributedDataParallel when launched by torchrun; a no-op context otherwise.

torchrun sets RANK, LOCAL_RANK and WORLD_SIZE; each process trains on its shard of every epoch's
permutation (DeviceLoader's rank / world_size) and gradients are averaged by DDP.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel


@dataclass(frozen=True)
class DistributedContext:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def wrap(self, model: nn.Module) -> nn.Module:
        """The model to call in training: DDP-wrapped when distributed, else itself."""
        if not self.enabled:
            return model
        device_ids = [self.local_rank] if next(model.parameters()).is_cuda else None
        return DistributedDataParallel(model, device_ids=device_ids)

    def device(self, requested: torch.device) -> torch.device:
        """Each process takes its own GPU (LOCAL_RANK) when training on CUDA."""
        if self.enabled and requested.type == "cuda":
            return torch.device("cuda", self.local_rank)
        return requested


def init_distributed(device: torch.device) -> DistributedContext:
    """Join the process group if torchrun launched us (NCCL on CUDA, Gloo on the CPU)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return DistributedContext()
    ctx = DistributedContext(int(os.environ["RANK"]), world_size,
                             int(os.environ.get("LOCAL_RANK", "0")))
    if device.type == "cuda":
        torch.cuda.set_device(ctx.local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return ctx


def close_distributed() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
