"""Our similarity losses and miners next to pytorch-metric-learning's, on the same embeddings.

Each pair computes the same quantity (the tests check the values agree to 1e-6): forward and
backward of the contrastive, triplet (all triplets) and NT-Xent losses (NT-Xent on SimCLR's
labels: two views an image), and the batch-hard and
semi-hard (inside the margin) miners on a batch of random embeddings. Calls per second are
timed in alternating rounds (ours, then theirs), each keeping its best round; the table shows
calls/s and the ratio ours / pytorch-metric-learning (above 1: ours is faster).

    .venv/bin/python benchmarks/similarity.py                      # CPU, batch 128, ~1 min
    .venv/bin/python benchmarks/similarity.py --device cuda --batch-size 512 --json out.json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path

import torch
from pytorch_metric_learning import distances, losses, miners
from rich.console import Console
from rich.table import Table

from lecturelab.runtime import resolve_device
from lecturelab.similarity.distances import pairwise_distances
from lecturelab.similarity.losses import contrastive_loss, nt_xent_loss, triplet_loss
from lecturelab.similarity.miners import batch_hard_triplets, margin_triplets


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--batch-size", type=int, default=128, help="embeddings a batch")
    p.add_argument("--dim", type=int, default=64, help="embedding dimension")
    p.add_argument("--classes", type=int, default=10, help="labels drawn from this many classes")
    p.add_argument("--calls", type=int, default=20, help="timed calls a round")
    p.add_argument("--rounds", type=int, default=3, help="alternating rounds; the best counts")
    p.add_argument("--device", default="auto", help="auto, cpu or cuda")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    p.add_argument("--json", type=Path, default=None, help="also write the table here")
    return p.parse_args(argv)


def pairs(x: torch.Tensor, y: torch.Tensor) -> dict[str, tuple[Callable, Callable]]:
    """name -> (ours, pytorch-metric-learning's), each a no-argument call."""
    raw = distances.LpDistance(normalize_embeddings=False)
    pml_contrastive = losses.ContrastiveLoss(neg_margin=1.0, distance=raw)
    pml_triplet = losses.TripletMarginLoss(margin=0.2, distance=raw)
    pml_ntxent = losses.NTXentLoss(temperature=0.5)
    views = torch.arange(len(x), device=x.device) // 2  # two views an image, as in SimCLR
    pml_hard = miners.BatchHardMiner(distance=raw)
    pml_semi = miners.TripletMarginMiner(margin=0.2, type_of_triplets="semihard", distance=raw)

    def backward(loss: torch.Tensor) -> None:
        loss.backward()
        x.grad = None

    def ours_hard():
        return batch_hard_triplets(pairwise_distances(x.detach()), y)

    def ours_semi():
        return margin_triplets(pairwise_distances(x.detach()), y, margin=0.2, kind="semihard")

    return {
        "contrastive loss (fwd+bwd)": (lambda: backward(contrastive_loss(x, y, margin=1.0)),
                                       lambda: backward(pml_contrastive(x, y))),
        "triplet loss, all triplets (fwd+bwd)": (lambda: backward(triplet_loss(x, y)),
                                                 lambda: backward(pml_triplet(x, y))),
        "NT-Xent, SimCLR's two views (fwd+bwd)": (
            lambda: backward(nt_xent_loss(x, views)), lambda: backward(pml_ntxent(x, views))),
        "batch-hard miner": (ours_hard, lambda: pml_hard(x.detach(), y)),
        "semi-hard miner (inside margin)": (ours_semi, lambda: pml_semi(x.detach(), y)),
    }


def calls_per_second(fn: Callable, calls: int, device: torch.device) -> float:
    fn()  # warm-up
    if device.type == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    if device.type == "cuda":
        torch.cuda.synchronize()
    return calls / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> list[dict[str, float | str]]:
    args = parse_args(argv)
    device = resolve_device(args.device)
    torch.set_num_threads(args.threads)
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch_size, args.dim, generator=gen).to(device).requires_grad_()
    y = torch.randint(0, args.classes, (args.batch_size,), generator=gen).to(device)
    rows = []
    for name, (ours, theirs) in pairs(x, y).items():
        best = [0.0, 0.0]
        for _ in range(args.rounds):
            for i, fn in enumerate((ours, theirs)):
                best[i] = max(best[i], calls_per_second(fn, args.calls, device))
        rows.append({"what": name, "ours_per_s": best[0], "pml_per_s": best[1],
                     "ratio": best[0] / best[1]})
    table = Table(title=f"similarity: calls/s, batch {args.batch_size}, dim {args.dim}, "
                        f"{args.classes} classes, {device}")
    for column in ("what", "ours calls/s", "pml calls/s", "ours / pml"):
        table.add_column(column)
    for r in rows:
        table.add_row(str(r["what"]), f"{r['ours_per_s']:.0f}", f"{r['pml_per_s']:.0f}",
                      f"{r['ratio']:.2f}")
    Console().print(table)
    if args.json is not None:
        args.json.write_text(json.dumps(rows, indent=2))
    return rows


if __name__ == "__main__":
    main()
