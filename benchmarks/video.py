"""Our video nets next to the reference implementations, timed and scored alike (lecture 4).

1. R3D-18: ours (lecturelab.motion.video) and torchvision's r3d_18 with the same weights
   (`from_torchvision`), clips/s for inference (eval, no grad) and for training steps (SGD,
   cross-entropy), in alternating rounds, each keeping its best.
2. Optical flow: our FlowNetC and torchvision's raft_small (randomly initialised, no download)
   train on the same `motion` pairs, minibatches and steps (AdamW, one-cycle): FlowNetC on its
   multi-scale EPE loss, RAFT on its sequence loss (Teed & Deng 2020, Eq. 7, gamma 0.8, 12
   updates); then the held-out EPE and pairs/s of inference.
Ratios are ours / reference (> 1: ours faster; for EPE < 1: ours more accurate).

    .venv/bin/python benchmarks/video.py                                  # CPU, small sizes
    .venv/bin/python benchmarks/video.py --device cuda --size 112 --frames 16 --batch 8 \\
        --flow-steps 2000 --flow-pairs 5000 --json runs/video.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
from rich.console import Console
from rich.table import Table
from torchvision.models.optical_flow import raft_small
from torchvision.models.video import r3d_18 as tv_r3d_18

from lecturelab.data.motion import FlowConfig
from lecturelab.motion.fitting import one_cycle_adamw, sgd_step
from lecturelab.motion.flownet import FlowNetC, end_point_error
from lecturelab.motion.training import FlowTrainConfig, evaluate_flow, fit_flow, flow_pairs
from lecturelab.motion.video import from_torchvision, r3d_18


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def best_rate(fns: dict[str, Callable[[], None]], items: int, rounds: int,
              device: torch.device) -> dict[str, float]:
    """Items per second of each function: alternating rounds, best round kept."""
    best = dict.fromkeys(fns, 0.0)
    for fn in fns.values():  # warm-up
        fn()
    for _ in range(rounds):
        for name, fn in fns.items():
            sync(device)
            start = time.perf_counter()
            fn()
            sync(device)
            best[name] = max(best[name], items / (time.perf_counter() - start))
    return best


def video_resnets(args: argparse.Namespace, device: torch.device) -> dict[str, float]:
    torch.manual_seed(0)
    theirs = tv_r3d_18(weights=None, num_classes=10).to(device)
    ours = from_torchvision(r3d_18(num_classes=10).to(device), theirs)
    clip = torch.randn(args.batch, 3, args.frames, args.size, args.size, device=device)
    labels = torch.randint(10, (args.batch,), device=device)

    def infer(model: torch.nn.Module) -> Callable[[], None]:
        def go() -> None:
            model.eval()
            with torch.no_grad():
                model(clip)
        return go

    def step(model: torch.nn.Module) -> Callable[[], None]:
        opt = torch.optim.SGD(model.parameters(), lr=1e-3)

        def go() -> None:
            model.train()
            sgd_step(opt, None, F.cross_entropy(model(clip), labels))
        return go

    inference = best_rate({"ours": infer(ours), "torchvision": infer(theirs)}, args.batch,
                          args.rounds, device)
    training = best_rate({"ours": step(ours), "torchvision": step(theirs)}, args.batch,
                         args.rounds, device)
    return {"r3d_inference_clips_s_ours": inference["ours"],
            "r3d_inference_clips_s_torchvision": inference["torchvision"],
            "r3d_train_clips_s_ours": training["ours"],
            "r3d_train_clips_s_torchvision": training["torchvision"]}


def fit_raft(model: torch.nn.Module, frames: torch.Tensor, flows: torch.Tensor,
             cfg: FlowTrainConfig, gamma: float = 0.8) -> torch.nn.Module:
    """RAFT's sequence loss, with fit_flow's minibatches and schedule (no flips)."""
    gen = torch.Generator().manual_seed(0)
    opt, schedule = one_cycle_adamw(model, lr=cfg.lr, steps=cfg.steps,
                                    weight_decay=cfg.weight_decay, pct_start=0.15)
    model.train()
    for _ in range(cfg.steps):
        idx = torch.randint(len(frames), (cfg.batch_size,), generator=gen).to(frames.device)
        pair, flow = frames[idx].float() / 127.5 - 1, flows[idx]
        predictions = model(pair[:, 0], pair[:, 1], num_flow_updates=12)
        n = len(predictions)
        loss = sum(gamma ** (n - 1 - i) * (p - flow).abs().mean()
                   for i, p in enumerate(predictions))
        sgd_step(opt, schedule, loss)
    return model.eval()


@torch.no_grad()
def raft_epe(model: torch.nn.Module, frames: torch.Tensor, flows: torch.Tensor) -> float:
    pair = frames.float() / 127.5 - 1
    return end_point_error(model(pair[:, 0], pair[:, 1], num_flow_updates=12)[-1], flows).item()


def flow_nets(args: argparse.Namespace, device: torch.device) -> dict[str, float]:
    data = FlowConfig(size=args.flow_size)
    frames, flows = (t.to(device) for t in flow_pairs(args.flow_pairs, 0, data))
    test = [t.to(device) for t in flow_pairs(args.flow_test, 1, data)]
    cfg = FlowTrainConfig(steps=args.flow_steps, batch_size=16, lr=3e-3, flips=False)
    torch.manual_seed(0)
    ours = fit_flow(FlowNetC(width=16).to(device), frames, flows, cfg)
    theirs = fit_raft(raft_small(weights=None).to(device), frames, flows,
                      FlowTrainConfig(steps=args.flow_steps, batch_size=16, lr=4e-4))
    pair = test[0][:16].float()  # up to 16 pairs a call

    def ours_go() -> None:
        with torch.no_grad():
            ours.estimate(pair[:, 0] / 255, pair[:, 1] / 255)

    def theirs_go() -> None:
        with torch.no_grad():
            theirs(pair[:, 0] / 127.5 - 1, pair[:, 1] / 127.5 - 1, num_flow_updates=12)

    rates = best_rate({"ours": ours_go, "raft": theirs_go}, len(pair), args.rounds, device)
    return {"flow_epe_flownet_c": evaluate_flow(ours, *test)["epe"],
            "flow_epe_raft_small": raft_epe(theirs, *test),
            "flow_zero_epe": test[1].norm(dim=1).mean().item(),
            "flow_pairs_s_flownet_c": rates["ours"], "flow_pairs_s_raft_small": rates["raft"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--size", type=int, default=56, help="R3D frame side")
    parser.add_argument("--frames", type=int, default=8, help="R3D clip length")
    parser.add_argument("--batch", type=int, default=4, help="R3D clips per batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--flow-size", type=int, default=128, help="raft_small needs >= 128")
    parser.add_argument("--flow-pairs", type=int, default=200)
    parser.add_argument("--flow-steps", type=int, default=50)
    parser.add_argument("--flow-test", type=int, default=32, help="held-out pairs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    device = torch.device(args.device)
    results = video_resnets(args, device) | flow_nets(args, device)
    ratios = {
        "R3D-18 inference clips/s": ("r3d_inference_clips_s_ours",
                                     "r3d_inference_clips_s_torchvision"),
        "R3D-18 training clips/s": ("r3d_train_clips_s_ours", "r3d_train_clips_s_torchvision"),
        "flow inference pairs/s (FlowNetC vs raft_small)": ("flow_pairs_s_flownet_c",
                                                            "flow_pairs_s_raft_small"),
        "flow EPE after equal training (FlowNetC vs raft_small)": ("flow_epe_flownet_c",
                                                                   "flow_epe_raft_small"),
    }
    table = Table(title=f"video benchmarks on {device} (zero-flow EPE "
                        f"{results['flow_zero_epe']:.3f})")
    for col in ("measure", "ours", "reference", "ours / reference"):
        table.add_column(col)
    for name, (a, b) in ratios.items():
        table.add_row(name, f"{results[a]:.3g}", f"{results[b]:.3g}",
                      f"{results[a] / results[b]:.2f}")
        results[f"ratio {name}"] = results[a] / results[b]
    Console().print(table)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results | {"args": vars(args) | {"json": str(args.json)}},
                                        indent=2))


if __name__ == "__main__":
    main()
