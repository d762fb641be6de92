"""Training FlowNets on `motion` flow pairs, and their checkpoints (`lecturelab train flownet_c
--data motion`).

`fit_flow(model, frames, flows, ...)` is the loop: Adam with a one-cycle schedule on the
multi-scale EPE loss (FlowNet, Sec. 4: Adam, a decreasing learning rate), random minibatches
of pairs held as uint8 tensors, with random horizontal and vertical flips applied to frames
and flow alike. `train_flownet` builds a net by name, trains it on generated pairs, measures
the held-out EPE and writes a checkpoint folder: `flownet.safetensors` (weights) and
`flownet.json` (model, width, data, schedule, seed, metrics), the JSON last and atomically, as
the detectors do.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import Tensor

from lecturelab.data.motion import FlowConfig, generate
from lecturelab.io import atomic_write, write_json
from lecturelab.motion.fitting import one_cycle_adamw, sgd_step
from lecturelab.motion.flownet import FlowNet, FlowNetC, FlowNetS, end_point_error, multiscale_loss
from lecturelab.runtime import resolve_device, seed_everything

FLOWNETS: dict[str, Callable[..., FlowNet]] = {"flownet_s": FlowNetS, "flownet_c": FlowNetC}
WEIGHTS, META = "flownet.safetensors", "flownet.json"


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


def fit_flow(model: FlowNet, frames: Tensor, flows: Tensor, cfg: FlowTrainConfig, *,
             seed: int = 0, on_step: Callable[[int, float], None] | None = None) -> FlowNet:
    """Train on pairs `frames` uint8 (N, 2, 3, H, W) with flows (N, 2, H, W), on their device."""
    gen = torch.Generator().manual_seed(seed)
    optimizer, schedule = one_cycle_adamw(model, lr=cfg.lr, steps=cfg.steps,
                                          weight_decay=cfg.weight_decay, pct_start=0.15)
    model.train()
    for step in range(cfg.steps):
        idx = torch.randint(len(frames), (cfg.batch_size,), generator=gen).to(frames.device)
        pair, flow = frames[idx].float() / 255, flows[idx]
        if cfg.flips:
            h, v = torch.rand(2, cfg.batch_size, generator=gen).to(frames.device) < 0.5
            pair, flow = flip(pair, flow, h, v)
        loss = multiscale_loss(model(pair[:, 0], pair[:, 1]), flow)
        sgd_step(optimizer, schedule, loss)
        if on_step is not None:
            on_step(step, loss.item())
    return model.eval()


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
                  device: str = "auto",
                  on_step: Callable[[int, float], None] | None = None) -> dict[str, float]:
    """Train `model` ("flownet_s" or "flownet_c") on `motion` flow pairs, save it to the folder
    `out` and return its held-out EPE next to the zero-flow EPE."""
    if model not in FLOWNETS:
        raise ValueError(f"model must be one of {', '.join(FLOWNETS)}, got {model!r}")
    data, train = data or FlowConfig(), train or FlowTrainConfig()
    dev = resolve_device(device)
    seed_everything(seed)
    net = FLOWNETS[model](width=width).to(dev)
    frames, flows = (t.to(dev) for t in flow_pairs(n_train, 2 * seed, data))
    fit_flow(net, frames, flows, train, seed=seed, on_step=on_step)
    metrics = evaluate_flow(net, *(t.to(dev) for t in flow_pairs(n_test, 2 * seed + 1, data)))
    out = Path(out)
    atomic_write(out / WEIGHTS, lambda tmp: save_file(
        {k: v.contiguous().cpu() for k, v in net.state_dict().items()}, str(tmp)))
    write_json(out / META, {"model": model, "width": width, "n_train": n_train,
                            "n_test": n_test, "data": asdict(data), "train": asdict(train),
                            "seed": seed, "metrics": metrics})
    return metrics


def load_flownet(checkpoint: str | Path) -> tuple[FlowNet, dict[str, Any]]:
    """The FlowNet saved in `checkpoint` (its folder or its flownet.json), in eval mode, and its
    meta; a clear error for a missing or corrupt checkpoint."""
    folder = Path(checkpoint)
    folder = folder.parent if folder.name == META else folder
    for path in (folder / META, folder / WEIGHTS):
        if not path.is_file():
            raise FileNotFoundError(f"flownet checkpoint {checkpoint}: {path} does not exist")
    try:
        meta = json.loads((folder / META).read_text())
        net = FLOWNETS[meta["model"]](width=int(meta["width"]))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
        raise ValueError(f"flownet checkpoint {folder / META} is corrupt: {e}") from e
    try:
        net.load_state_dict(load_file(str(folder / WEIGHTS)))
    except (SafetensorError, RuntimeError, OSError) as e:
        raise ValueError(f"flownet weights {folder / WEIGHTS} are corrupt or do not match "
                         f"{meta['model']}: {e}") from e
    return net.eval(), meta


# (width, n_train, data, schedule) of `lecturelab train flownet_s|flownet_c --data motion`
PROFILES: dict[str, tuple[int, int, FlowConfig, FlowTrainConfig]] = {
    "smoke": (4, 8, FlowConfig(size=32), FlowTrainConfig(steps=2, batch_size=4)),
    "quick": (16, 2000, FlowConfig(), FlowTrainConfig(steps=500, lr=3e-3)),
    "full": (64, 22000, FlowConfig(size=256, max_shift=16.0, background_shift=8.0),
             FlowTrainConfig(steps=60000, batch_size=8, lr=1e-4)),
}


def train_flownet_command(model: str, *, out: Path, profile: str = "quick",
                          steps: int | None = None, seed: int = 0,
                          device: str = "auto") -> dict[str, float]:
    """What the CLI's `train flownet_c --data motion` runs: the profile's net, data and
    schedule (`steps` overrides the schedule's length), saved to the folder `out`."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    width, n_train, data, train = PROFILES[profile]
    if steps is not None:
        train = FlowTrainConfig(**{**asdict(train), "steps": steps})
    return train_flownet(model, out=out, width=width, n_train=n_train, data=data, train=train,
                         seed=seed, device=device)
