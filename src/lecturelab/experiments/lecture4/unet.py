"""l4.unet - an encoder-decoder with skip connections preserves high-frequency details (lecture 4).

Follows Ronneberger, Fischer & Brox 2015 (U-Net, Sec. 2-3: the U of segmentation/unet.py,
pixel-wise cross-entropy by segmentation/training.py); the control is the same net with its
skip connections cut, trained identically. Both are judged on held-out `shapes` scenes by mean
IoU (PASCAL VOC) and the boundary F1 of Csurka et al. 2013 (tolerance 0.75% of the diagonal: at
48 px, the exact pixel). Departures: batch norm, "same" padding, AdamW with a one-cycle
schedule, small width and images (48 px in quick) so that both nets train on a CPU in the time
budget. Quick pools four times (a 3x3 bottleneck): with three (6x6) the net without skips kept
enough of the layout to come within 0.03 mIoU of the U-Net (seed 0: 0.806 vs 0.778); with four,
0.822 vs 0.457 (seed 1: 0.800 vs 0.486), the U-Net itself near the 0.8 line at 800 steps
(1,000 steps: 0.802 and 0.843).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure

from lecturelab.data.shapes import CLASSES, ShapesConfig, ShapesDataset
from lecturelab.lab import Check, Result, Run, experiment
from lecturelab.segmentation.metrics import boundary_f1, class_iou, mean_iou, pixel_accuracy
from lecturelab.segmentation.training import segment, train_segmenter
from lecturelab.segmentation.unet import UNet

PALETTE = ListedColormap(["#202020", "#e6194b", "#3cb44b", "#4363d8", "#ffe119", "#f58231"])


@dataclass(frozen=True)
class UNetConfig:
    size: int = 48  # image side in pixels
    max_objects: int = 2  # each scene has 1..max_objects objects
    min_scale: float = 0.3  # smallest object diameter, fraction of the side
    max_scale: float = 0.55  # largest object diameter, fraction of the side
    n_train: int = 4096  # training scenes
    n_test: int = 256  # held-out scenes
    depth: int = 4  # poolings of the U: a 3x3 bottleneck at 48 px (see the module docstring)
    width: int = 8  # channels at full resolution, doubled at each pooling
    steps: int = 800  # AdamW steps per net
    batch_size: int = 16  # scenes per step
    lr: float = 0.03  # peak learning rate of the one-cycle schedule


FULL = UNetConfig(size=128, max_objects=4, min_scale=0.15, max_scale=0.4, n_train=20000,
                  n_test=1000, depth=4, width=64, steps=20000, batch_size=32, lr=3e-3)
SMOKE = UNetConfig(size=32, n_train=16, n_test=4, depth=2, width=4, steps=2, batch_size=4)


@experiment(
    "l4.unet", lecture=4,
    claim="an encoder-decoder with skip connections preserves high-frequency details",
    criterion="on shapes semantic segmentation, U-Net mIoU at least 0.8; the same net without "
              "skips at least 0.05 lower in mIoU and 0.1 lower in boundary F1",
    quick=UNetConfig(), full=FULL, smoke=SMOKE)
def unet(cfg: UNetConfig, run: Run) -> Result:
    scenes = ShapesConfig(size=cfg.size, min_objects=1, max_objects=cfg.max_objects,
                          min_scale=cfg.min_scale, max_scale=cfg.max_scale)
    train = ShapesDataset(cfg.n_train, scenes, seed=2 * run.seed)
    test = ShapesDataset(cfg.n_test, scenes, seed=2 * run.seed + 1)
    x_train, y_train = (t.to(run.device) for t in train.semantic_batch(range(cfg.n_train)))
    x_test, y_test = (t.to(run.device) for t in test.semantic_batch(range(cfg.n_test)))
    x_train, x_test = (x.contiguous(memory_format=torch.channels_last) for x in (x_train, x_test))
    n = len(CLASSES) + 1
    metrics: dict[str, object] = {}
    predictions = {}
    for name, skips in (("unet", True), ("no_skips", False)):
        torch.manual_seed(run.seed)
        model = UNet(3, n, depth=cfg.depth, width=cfg.width, skips=skips).to(
            run.device, memory_format=torch.channels_last)  # faster convolutions, CPU and GPU
        train_segmenter(model, x_train, y_train, steps=cfg.steps, batch_size=cfg.batch_size,
                        lr=cfg.lr, seed=run.seed)
        pred = segment(model, x_test)
        predictions[name] = pred
        metrics[f"{name}_miou"] = mean_iou(pred, y_test, n)
        metrics[f"{name}_boundary_f1"] = boundary_f1(pred, y_test, n)
        metrics[f"{name}_pixel_accuracy"] = pixel_accuracy(pred, y_test)
        metrics[f"{name}_class_iou"] = np.nan_to_num(class_iou(pred, y_test, n).numpy(),
                                                     nan=-1.0).round(4).tolist()
        run.log(f"{name}: mIoU {metrics[f'{name}_miou']:.3f}, boundary F1 "
                f"{metrics[f'{name}_boundary_f1']:.3f}")
    d_miou = metrics["unet_miou"] - metrics["no_skips_miou"]
    d_bf1 = metrics["unet_boundary_f1"] - metrics["no_skips_boundary_f1"]
    metrics.update(miou_gap=d_miou, boundary_f1_gap=d_bf1)
    fig = masks_figure(x_test[:6], y_test[:6], {"U-Net": predictions["unet"][:6],
                                                "no skips": predictions["no_skips"][:6]})
    return Result(
        metrics=metrics,
        checks=[Check.at_least("U-Net mIoU", metrics["unet_miou"], 0.8),
                Check.at_least("mIoU of U-Net minus mIoU without skips", d_miou, 0.05,
                               detail=f"{metrics['unet_miou']:.3f} vs "
                                      f"{metrics['no_skips_miou']:.3f}"),
                Check.at_least("boundary F1 of U-Net minus boundary F1 without skips", d_bf1,
                               0.1, detail=f"{metrics['unet_boundary_f1']:.3f} vs "
                                           f"{metrics['no_skips_boundary_f1']:.3f}")],
        figures={"masks": fig},
        headline=("unet_miou", "no_skips_miou", "unet_boundary_f1", "no_skips_boundary_f1"),
    )


def masks_figure(images: torch.Tensor, truth: torch.Tensor,
                 predictions: dict[str, torch.Tensor]) -> Figure:
    """One column per scene: the image, the true classes, then each net's prediction."""
    rows = ["image", "truth", *predictions]
    fig = Figure(figsize=(1.6 * len(images), 1.6 * len(rows)), layout="constrained")
    axes = fig.subplots(len(rows), len(images), squeeze=False)
    for j in range(len(images)):
        axes[0, j].imshow(images[j].permute(1, 2, 0).cpu().numpy())
        for i, masks in enumerate([truth, *predictions.values()], start=1):
            axes[i, j].imshow(masks[j].cpu().numpy(), cmap=PALETTE, vmin=0, vmax=5,
                              interpolation="nearest")
    for ax, name in zip(axes[:, 0], rows, strict=True):
        ax.set_ylabel(name)
    for ax in axes.flat:
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("classes: " + ", ".join(f"{k + 1} {c}" for k, c in enumerate(CLASSES)))
    return fig
