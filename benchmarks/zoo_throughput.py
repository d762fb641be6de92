"""Training and inference throughput of the zoo next to torchvision's same architectures.

For each model the zoo shares with torchvision (lecture 3, claim l3.architecture_zoo), both
versions run with the same batch, input size, device and precision: training steps (forward,
cross-entropy, backward, SGD step) in train mode and inference passes in eval mode, each after
warm-up steps. Rounds alternate ours and torchvision's so that drifting load hits both alike;
the best round of each counts. On CUDA both run by default in bf16 autocast with channels_last
inputs and weights (the training loop's settings; `--precision fp32` for float32, `--compile` to
torch.compile both); on the CPU in float32.

    python benchmarks/zoo_throughput.py                      # CPU, a small list, 64x64 images
    python benchmarks/zoo_throughput.py --device cuda --image-size 224 --batch-size 128 \\
        --models resnet50,efficientnet_b0 --json runs/zoo_throughput.json
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F
import torchvision
from rich.console import Console
from rich.table import Table
from torch import nn

from lecturelab.registry import create_model

TWINS = ["alexnet", *(f"vgg{d}{bn}" for d in (11, 13, 16, 19) for bn in ("", "_bn")),
         "googlenet", *(f"resnet{d}" for d in (18, 34, 50, 101, 152)),
         *(f"densenet{d}" for d in (121, 169, 201)), "mobilenet_v2", "mnasnet1_0",
         *(f"efficientnet_b{i}" for i in range(4))]
DEFAULT_MODELS = "resnet18,resnet50,mobilenet_v2,efficientnet_b0,densenet121,vgg11"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=DEFAULT_MODELS,
                        help=f"comma-separated zoo names with a torchvision twin, or 'all' "
                             f"(default: {DEFAULT_MODELS})")
    parser.add_argument("--batch-size", type=int, default=8, help="images a step (default 8)")
    parser.add_argument("--image-size", type=int, default=64, help="input side (default 64)")
    parser.add_argument("--steps", type=int, default=3, help="timed steps a round (default 3)")
    parser.add_argument("--warmup", type=int, default=1, help="untimed steps first (default 1)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="alternating rounds of ours / torchvision's; the best counts "
                             "(default 2)")
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    parser.add_argument("--threads", type=int, default=0,
                        help="torch CPU threads (default 0: torch's own choice; 1 is steadier "
                             "on a busy machine)")
    parser.add_argument("--precision", choices=("auto", "fp32", "bf16"), default="auto",
                        help="bf16 = bf16 autocast with channels_last (CUDA only); auto: bf16 "
                             "on CUDA, fp32 on the CPU")
    parser.add_argument("--compile", action="store_true",
                        help="torch.compile both models (timed after the warm-up compiles)")
    parser.add_argument("--json", type=Path, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    if args.precision == "auto":
        args.precision = "bf16" if args.device.startswith("cuda") else "fp32"
    if args.precision == "bf16" and not args.device.startswith("cuda"):
        parser.error("--precision bf16 needs --device cuda")
    args.models = TWINS if args.models == "all" else args.models.split(",")
    unknown = [m for m in args.models if m not in TWINS]
    if unknown:
        parser.error(f"--models must name zoo models with a torchvision twin ({', '.join(TWINS)})"
                     f", got {', '.join(unknown)}")
    if args.threads < 0:
        parser.error("--threads must be at least 0")
    for name in ("batch_size", "image_size", "steps", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {args.device} asked for, but no CUDA GPU is available")
    return args


def torchvision_model(name: str) -> nn.Module:
    kw = {"aux_logits": False, "init_weights": False} if name == "googlenet" else {}
    return getattr(torchvision.models, name)(weights=None, **kw)


def step_functions(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                   args: argparse.Namespace) -> dict[str, Callable[[], None]]:
    """One training step and one inference pass of `model` on the batch (x, y)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    bf16 = args.precision == "bf16"
    forward = torch.compile(model) if args.compile else model

    def precision() -> contextlib.AbstractContextManager:
        return torch.autocast("cuda", dtype=torch.bfloat16) if bf16 else contextlib.nullcontext()

    def train() -> None:
        model.train()
        with precision():
            loss = F.cross_entropy(forward(x).float(), y)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    def infer() -> None:
        model.eval()
        with torch.no_grad(), precision():
            forward(x)

    return {"train": train, "infer": infer}


def seconds_per_step(fn: Callable[[], None], steps: int, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return (time.perf_counter() - start) / steps


def benchmark(name: str, args: argparse.Namespace, device: torch.device) -> dict:
    """images/s of ours and torchvision's `name`, training and inference."""
    torch.manual_seed(0)
    memory = torch.channels_last if args.precision == "bf16" else torch.contiguous_format
    x = torch.randn(args.batch_size, 3, args.image_size, args.image_size, device=device)
    x = x.contiguous(memory_format=memory)
    y = torch.randint(0, 1000, (args.batch_size,), device=device)
    models = {"ours": create_model(name), "torchvision": torchvision_model(name)}
    steps = {who: step_functions(m.to(device, memory_format=memory), x, y, args)
             for who, m in models.items()}
    row: dict = {"model": name}
    for mode in ("train", "infer"):
        for fns in steps.values():
            seconds_per_step(fns[mode], args.warmup, device)
        best = {who: float("inf") for who in steps}
        for _ in range(args.rounds):
            for who, fns in steps.items():
                best[who] = min(best[who], seconds_per_step(fns[mode], args.steps, device))
        for who, seconds in best.items():
            row[f"{mode}_{who}"] = args.batch_size / seconds
        row[f"{mode}_ratio"] = row[f"{mode}_ours"] / row[f"{mode}_torchvision"]
    return row


def table(rows: list[dict], args: argparse.Namespace, device: torch.device) -> Table:
    precision = "bf16 autocast, channels_last" if args.precision == "bf16" else "float32"
    precision += ", torch.compile" if args.compile else ""
    out = Table(title=f"images/s, batch {args.batch_size}, {args.image_size}x{args.image_size}, "
                      f"{device.type} ({torch.get_num_threads()} threads), {precision}")
    out.add_column("model")
    for mode in ("train", "infer"):
        for column in ("ours", "tv", "ours/tv"):
            out.add_column(f"{mode} {column}", justify="right")
    for r in rows:
        cells = []
        for mode in ("train", "infer"):
            cells += [f"{r[f'{mode}_ours']:.1f}", f"{r[f'{mode}_torchvision']:.1f}",
                      f"{r[f'{mode}_ratio']:.2f}"]
        out.add_row(r["model"], *cells)
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    rows = [benchmark(name, args, device) for name in args.models]
    Console(width=100).print(table(rows, args, device))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        settings = {k: v for k, v in vars(args).items() if k != "json"}
        args.json.write_text(json.dumps({"settings": settings, "device": str(device),
                                         "threads": torch.get_num_threads(), "rows": rows},
                                        indent=2))


if __name__ == "__main__":
    main()
