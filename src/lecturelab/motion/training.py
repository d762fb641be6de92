"""Training FlowNets on `motion` flow pairs, and their checkpoints (`lecturelab train flownet_c
--data motion`).

`fit_flow(model, frames, flows, ...)` is the loop: Adam with a one-cycle schedule on the
multi-scale EPE loss (FlowNet, Sec. 4: Adam, a decreasing learning rate), random minibatches
of pairs held as uint8 tensors, with random horizontal and vertical flips applied to frames
and flow alike. `train_flownet` builds a net by name, trains it on generated pairs, measures
the held-out EPE and keeps the run in the project's one checkpoint format (train/checkpoint.py,
kind "flownet": model, width, data, schedule, seed, step, metrics; weights, AdamW, schedule and
minibatch-generator state in checksummed safetensors), so `--resume` continues a run exactly
and `lecturelab eval FOLDER` scores it on its held-out pairs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from lecturelab.data.motion import FlowConfig, generate
from lecturelab.errors import LabError
from lecturelab.motion.fitting import one_cycle_adamw, sgd_step
from lecturelab.motion.flownet import FlowNet, FlowNetC, FlowNetS, end_point_error, multiscale_loss
from lecturelab.runtime import resolve_device, seed_everything
from lecturelab.train.checkpoint import (
    Checkpoint,
    load_checkpoint,
    save_checkpoint,
    training_folder,
)

FLOWNETS: dict[str, Callable[..., FlowNet]] = {"flownet_s": FlowNetS, "flownet_c": FlowNetC}
KIND = "flownet"  # the checkpoint kind (train/checkpoint.py) of a flow run


@dataclass(frozen=True)
class FlowTrainConfig:
    steps: int = 1000  # Adam steps
    batch_size: int = 16  # pairs per step
    lr: float = 2e-3  # peak learning rate of the one-cycle schedule
    weight_decay: float = 1e-4  # AdamW weight decay
    flips: bool = True  # random horizontal / vertical flips of frames and flow


def flip(frames: Tensor, flow: Tensor, horizontal: Tensor, vertical: Tensor
         ) -> tuple[Tensor, Tensor]:
    """Mirror the chosen pairs: frames (B, 2, 3, H, W), flow (B, 2, H, W); a horizontal flip
    negates u, a vertical one v."""
    sign = torch.ones_like(flow[:, :, :1, :1])  # (B, 2, 1, 1)
    h, v = horizontal[:, None, None, None], vertical[:, None, None, None]
    frames = torch.where(h[:, None], frames.flip(-1), frames)
    flow = torch.where(h, flow.flip(-1), flow)
    frames = torch.where(v[:, None], frames.flip(-2), frames)
    flow = torch.where(v, flow.flip(-2), flow)
    sign[:, 0] = torch.where(horizontal[:, None, None], -1.0, 1.0)
    sign[:, 1] = torch.where(vertical[:, None, None], -1.0, 1.0)
    return frames, flow * sign


FlowState = dict[str, Any]  # "optimizer", "scheduler" state dicts and the batch "generator" state


def fit_flow(model: FlowNet, frames: Tensor, flows: Tensor, cfg: FlowTrainConfig, *,
             seed: int = 0, on_step: Callable[[int, float], None] | None = None,
             state: FlowState | None = None, start: int = 0,
             save: Callable[[int, FlowState], None] | None = None, every: int = 0) -> FlowNet:
    """Train on pairs `frames` uint8 (N, 2, 3, H, W) with flows (N, 2, H, W), on their device.
    Continues after step `start` from `state` if given (a resumed run); calls `save(step,
    state)` after every `every` steps and once at the end (step = cfg.steps)."""
    gen = torch.Generator().manual_seed(seed)
    optimizer, schedule = one_cycle_adamw(model, lr=cfg.lr, steps=cfg.steps,
                                          weight_decay=cfg.weight_decay, pct_start=0.15)
    if state is not None:
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["scheduler"])
        gen.set_state(state["generator"])
    model.train()
    for step in range(start, cfg.steps):
        idx = torch.randint(len(frames), (cfg.batch_size,), generator=gen).to(frames.device)
        pair, flow = frames[idx].float() / 255, flows[idx]
        if cfg.flips:
            h, v = torch.rand(2, cfg.batch_size, generator=gen).to(frames.device) < 0.5
            pair, flow = flip(pair, flow, h, v)
        loss = multiscale_loss(model(pair[:, 0], pair[:, 1]), flow)
        sgd_step(optimizer, schedule, loss)
        if on_step is not None:
            on_step(step, loss.item())
        if save is not None and every and (step + 1) % every == 0 and step + 1 < cfg.steps:
            save(step + 1, training_state(optimizer, schedule, gen))
    if save is not None:
        save(cfg.steps, training_state(optimizer, schedule, gen))
    return model.eval()


def training_state(optimizer: torch.optim.Optimizer, schedule: Any, gen: torch.Generator
                   ) -> FlowState:
    return {"optimizer": optimizer.state_dict(), "scheduler": schedule.state_dict(),
            "generator": gen.get_state()}


@torch.no_grad()
def evaluate_flow(model: FlowNet, frames: Tensor, flows: Tensor, batch: int = 64
                  ) -> dict[str, float]:
    """Held-out EPE of the model and of the zero flow, over all pixels."""
    model.eval()
    total, zero = 0.0, 0.0
    for i in range(0, len(frames), batch):
        pair, flow = frames[i:i + batch].float() / 255, flows[i:i + batch]
        total += end_point_error(model.estimate(pair[:, 0], pair[:, 1]), flow).item() * len(flow)
        zero += flow.norm(dim=1).mean().item() * len(flow)
    return {"epe": total / len(frames), "zero_flow_epe": zero / len(frames)}


def flow_pairs(n: int, seed: int, data: FlowConfig) -> tuple[Tensor, Tensor]:
    """`n` generated pairs: frames uint8 (n, 2, 3, H, W) and flows float32 (n, 2, H, W)."""
    pairs, _ = generate("flow", n, seed, **asdict(data))
    return pairs["frames"][:, :2], pairs["flow"][:, 0]


def train_flownet(model: str = "flownet_c", *, out: Path, width: int = 16, n_train: int = 3000,
                  n_test: int = 200, data: FlowConfig | None = None,
                  train: FlowTrainConfig | None = None, seed: int = 0,
                  device: str = "auto", on_step: Callable[[int, float], None] | None = None,
                  resume: bool = False, force: bool = False, every: int = 100
                  ) -> dict[str, float]:
    """Train `model` ("flownet_s" or "flownet_c") on `motion` flow pairs in the training folder
    `out` (locked for the run; a folder holding a checkpoint needs `resume` to continue it or
    `force` to replace it), checkpointing every `every` steps and at the end, and return the
    held-out EPE next to the zero-flow EPE."""
    if model not in FLOWNETS:
        raise ValueError(f"model must be one of {', '.join(FLOWNETS)}, got {model!r}")
    data, train = data or FlowConfig(), train or FlowTrainConfig()
    meta = {"kind": KIND, "model": model, "width": width, "n_train": n_train, "n_test": n_test,
            "data": asdict(data), "train": asdict(train), "seed": seed}
    dev = resolve_device(device)
    with training_folder(Path(out), resume=resume, force=force):
        seed_everything(seed)
        net = FLOWNETS[model](width=width).to(dev)
        state, start = resumed(Path(out), net, meta) if resume else (None, 0)

        def save(step: int, state: FlowState, metrics: dict[str, float] | None = None) -> None:
            save_checkpoint(Path(out), Checkpoint(
                model_state=net.state_dict(),
                meta=meta | {"step": step} | ({"metrics": metrics} if metrics else {}),
                optimizer_state=state["optimizer"], scheduler_state=state["scheduler"],
                rng_state={"generator": state["generator"]}))

        def checkpoint(step: int, state: FlowState) -> None:
            if step < train.steps:
                save(step, state)
            else:  # the last state is saved with the held-out metrics
                final.update(state)

        final: FlowState = {}
        frames, flows = (t.to(dev) for t in flow_pairs(n_train, 2 * seed, data))
        fit_flow(net, frames, flows, train, seed=seed, on_step=on_step, state=state,
                 start=start, save=checkpoint, every=every)
        metrics = evaluate_flow(net, *held_out_pairs(meta, dev))
        save(train.steps, final, metrics)
    return metrics


def resumed(folder: Path, net: FlowNet, meta: dict[str, Any]) -> tuple[FlowState, int]:
    """Load the folder's checkpoint into `net`; its training state and step. The run must be
    the one asked for (same net, data, schedule and seed)."""
    ckpt = load_checkpoint(folder)
    saved = {k: ckpt.meta.get(k) for k in meta}
    if saved != meta:
        differ = ", ".join(k for k in meta if saved[k] != meta[k])
        raise LabError(f"cannot resume {folder}: it trained a different run ({differ} differ); "
                       f"pass the same options, or --force to start again")
    net.load_state_dict(ckpt.model_state)
    return {"optimizer": ckpt.optimizer_state, "scheduler": ckpt.scheduler_state,
            "generator": ckpt.rng_state["generator"]}, int(ckpt.meta["step"])


def held_out_pairs(meta: dict[str, Any], device: torch.device | str = "cpu"
                   ) -> tuple[Tensor, Tensor]:
    """The held-out pairs of a flow run's meta: seed 2 * seed + 1, never the training pairs."""
    pairs = flow_pairs(int(meta["n_test"]), 2 * int(meta["seed"]) + 1, FlowConfig(**meta["data"]))
    return pairs[0].to(device), pairs[1].to(device)


def build_flownet(ckpt: Checkpoint) -> FlowNet:
    """An untrained FlowNet of the shape a "flownet" checkpoint names (train/api.py BUILDERS)."""
    return FLOWNETS[ckpt.meta["model"]](width=int(ckpt.meta["width"]))


def eval_flownet(folder: str | Path, device: str = "auto") -> dict[str, float]:
    """`lecturelab eval FOLDER` for a flow run: EPE and zero-flow EPE on its held-out pairs."""
    from lecturelab.train.api import load_trained

    trained = load_trained(folder)
    if trained.kind != KIND:
        raise ValueError(f"{folder} holds a {trained.kind}, not a FlowNet")
    dev = resolve_device(device)
    return evaluate_flow(trained.model.to(dev), *held_out_pairs(trained.meta, dev))


# (width, n_train, data, schedule) of `lecturelab train flownet_s|flownet_c --data motion`
PROFILES: dict[str, tuple[int, int, FlowConfig, FlowTrainConfig]] = {
    "smoke": (4, 8, FlowConfig(size=32), FlowTrainConfig(steps=2, batch_size=4)),
    "quick": (16, 2000, FlowConfig(), FlowTrainConfig(steps=500, lr=3e-3)),
    "full": (64, 22000, FlowConfig(size=256, max_shift=16.0, background_shift=8.0),
             FlowTrainConfig(steps=60000, batch_size=8, lr=1e-4)),
}


def train_flownet_command(model: str, *, out: Path, profile: str = "quick",
                          steps: int | None = None, seed: int = 0, device: str = "auto",
                          resume: bool = False, force: bool = False) -> dict[str, float]:
    """What the CLI's `train flownet_c --data motion` runs: the profile's net, data and
    schedule (`steps` overrides the schedule's length), saved to the folder `out`."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    width, n_train, data, train = PROFILES[profile]
    if steps is not None:
        train = FlowTrainConfig(**{**asdict(train), "steps": steps})
    return train_flownet(model, out=out, width=width, n_train=n_train, data=data, train=train,
                         seed=seed, device=device, resume=resume, force=force)
