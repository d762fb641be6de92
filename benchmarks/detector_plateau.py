"""Where the quick detectors' training time goes, and how many steps they need (lecture 4).

1. Profile: one quick training step of RetinaNet and Faster R-CNN on the quick recipe, split
   into the forward pass with the loss (`model.loss`: backbone, FPN, heads, anchor matching),
   the backward pass, gradient clipping and the optimiser step; then torch.profiler's
   operators by self time.
2. Plateau: each detector trained afresh on the quick scenes for every step count in `--steps`
   with the quick schedule (the shipped `QUICK_TRAIN` / `QUICK_TRAIN_TWO_STAGE`, only the steps
   changed: warm-up then cosine decay over each run), then COCO AP / AP50 on the held-out
   scenes, with the CPU seconds it took. The plateau is the first N whose AP and AP50 move by
   at most `--tolerance` when the steps double.

    .venv/bin/python benchmarks/detector_plateau.py --profile-only          # ~1 min
    .venv/bin/python benchmarks/detector_plateau.py --steps 800,1600,3200   # ~10 min, one thread
    .venv/bin/python benchmarks/detector_plateau.py --kinds retinanet --steps 1600,3200,6400 \\
        --json runs/plateau.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import replace
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from torch import nn
from torch.profiler import profile

from lecturelab.detection import recipes
from lecturelab.detection.training import DetectorTrainConfig, make_optimizer
from lecturelab.train.recipes import detector_recipe

KINDS = ("retinanet", "faster_rcnn")


def quick_schedule(kind: str) -> DetectorTrainConfig:
    return detector_recipe("quick", kind)[2]


def build(kind: str, seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return recipes.detector(kind, recipes.QUICK_RECIPE, recipes.QUICK_SCENES.size)


def step_parts(kind: str, steps: int, seed: int) -> tuple[dict[str, float], str]:
    """Milliseconds a step in each part (CPU time, after 20 warm-up steps) and the operators."""
    images, targets, _, _ = recipes.scene_tensors(recipes.QUICK_SCENES, seed)
    model, cfg = build(kind, seed).train(), quick_schedule(kind)
    optimizer = make_optimizer(model, cfg)
    parts = dict.fromkeys(("forward + loss", "backward", "clip", "optimiser"), 0.0)
    batch = cfg.batch_size

    def step(i: int, timed: bool) -> None:
        first = (i * batch) % (len(images) - batch)
        x, t = images[first:first + batch], targets[first:first + batch]
        marks = [time.process_time()]
        loss = sum(model.loss(x, t).values())
        marks.append(time.process_time())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        marks.append(time.process_time())
        nn.utils.clip_grad_norm_(model.parameters(), cfg.clip_norm)
        marks.append(time.process_time())
        optimizer.step()
        marks.append(time.process_time())
        if timed:
            for name, a, b in zip(parts, marks, marks[1:], strict=False):
                parts[name] += 1000 * (b - a) / steps

    for i in range(20):
        step(i, False)
    for i in range(steps):
        step(20 + i, True)
    with profile() as prof:
        for i in range(20):
            step(i, False)
    table = prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12)
    return parts, table


def plateau_run(kind: str, steps: int, seed: int) -> dict[str, float]:
    """Train one detector for `steps` on the quick scenes; AP, AP50 and CPU seconds."""
    model = build(kind, seed)
    schedule = replace(quick_schedule(kind), steps=steps)
    start = time.process_time()
    fitted = recipes.fit(model, recipes.QUICK_SCENES, schedule, seed)
    seconds = time.process_time() - start
    _, _, test_images, test_targets = recipes.scene_tensors(recipes.QUICK_SCENES, seed)
    ap = recipes.evaluate(fitted.model, test_images, test_targets, device=torch.device("cpu"))
    return {"steps": steps, "AP": ap["AP"], "AP50": ap["AP50"], "cpu_seconds": seconds,
            "ms_per_step": 1000 * seconds / steps}


def plateau(rows: list[dict[str, float]], tolerance: float) -> int | None:
    """The first step count whose AP and AP50 change by at most `tolerance` at twice the steps."""
    by_steps = {r["steps"]: r for r in rows}
    for r in rows:
        twice = by_steps.get(2 * r["steps"])
        if twice and all(abs(twice[k] - r[k]) <= tolerance for k in ("AP", "AP50")):
            return int(r["steps"])
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kinds", default="retinanet,faster_rcnn")
    parser.add_argument("--steps", default="800,1600,3200", help="step counts, comma-separated")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tolerance", type=float, default=0.01)
    parser.add_argument("--profile-steps", type=int, default=100)
    parser.add_argument("--profile-only", action="store_true")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    console, report = Console(), {}
    for kind in args.kinds.split(","):
        if kind not in KINDS:
            raise SystemExit(f"--kinds: unknown detector {kind!r} (use {', '.join(KINDS)})")
        parts, operators = step_parts(kind, args.profile_steps, args.seed)
        total = sum(parts.values())
        console.print(f"[bold]{kind}[/]: {total:.1f} ms a step (CPU, {args.threads} thread(s)): "
                      + ", ".join(f"{k} {v:.1f} ({100 * v / total:.0f}%)"
                                  for k, v in parts.items()))
        print(operators)
        report[kind] = {"step_ms": parts}
        if args.profile_only:
            continue
        table = Table("steps", "AP", "AP50", "CPU s", "ms / step", title=f"{kind}: quick scenes")
        rows = []
        for steps in sorted(int(s) for s in args.steps.split(",")):
            rows.append(plateau_run(kind, steps, args.seed))
            r = rows[-1]
            console.print(f"{kind}, {steps} steps: AP {r['AP']:.3f}, AP50 {r['AP50']:.3f} "
                          f"({r['cpu_seconds']:.0f} CPU s)")
            table.add_row(str(steps), f"{r['AP']:.3f}", f"{r['AP50']:.3f}",
                          f"{r['cpu_seconds']:.1f}", f"{r['ms_per_step']:.1f}")
        console.print(table)
        found = plateau(rows, args.tolerance)
        console.print(f"plateau (AP and AP50 within {args.tolerance} at twice the steps): "
                      + (f"{found} steps" if found else "not reached within the steps swept"))
        report[kind].update(runs=rows, plateau=found)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
