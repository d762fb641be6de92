"""Our Faster R-CNN and RetinaNet next to torchvision's, trained and timed alike (lecture 4).

Both libraries' detectors get a ResNet-18 backbone (ours from the lecture-3 zoo, torchvision's
`resnet18` in a `BackboneWithFPN`; trainable batch norm, no pretrained weights) returning the
stride 4, 8 and 16 maps, a 64-channel FPN without extra levels, the same anchors (the sizes of
`lecturelab.detection.recipes`), proposal counts, sampled anchors and RoIs, box head width and
RoI-level mapping; the RetinaNets get four GroupNorm convs per subnet (torchvision's v2 head;
torchvision's class subnet has one unused output for label 0). torchvision's models see the
images at their own size (min_size = max_size = the image side). All four train with the same
loop (`lecturelab.detection.training.train_detector`: same scenes, minibatches, flips, AdamW
schedule and steps) and are scored by COCO AP50 (pycocotools) on the same held-out scenes;
inference is timed one image at a time after all four are trained, in alternating rounds, each
keeping its best of `--rounds`.

    .venv/bin/python benchmarks/detection.py                       # CPU, 96-pixel scenes, ~3 min
    .venv/bin/python benchmarks/detection.py --device cuda --steps 2000 --size 128 \\
        --batch-size 32 --json runs/detection.json
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from rich.console import Console
from rich.table import Table
from torch import Tensor, nn
from torchvision.models import resnet18
from torchvision.models.detection import FasterRCNN, RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.retinanet import RetinaNetHead
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops.feature_pyramid_network import ExtraFPNBlock

from lecturelab.data.shapes import CLASSES
from lecturelab.detection import recipes
from lecturelab.detection.evaluation import coco_evaluate
from lecturelab.detection.training import (
    DetectorTrainConfig,
    images_per_second,
    predict_all,
    train_detector,
)
from lecturelab.runtime import resolve_device

FPN_CHANNELS = 64


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=200, help="training steps of every detector")
    p.add_argument("--size", type=int, default=96, help="image side in pixels")
    p.add_argument("--batch-size", type=int, default=4, help="scenes per training step")
    p.add_argument("--train-scenes", type=int, default=200, help="training scenes")
    p.add_argument("--test-scenes", type=int, default=40, help="held-out scenes (AP50, timing)")
    p.add_argument("--rounds", type=int, default=3, help="inference timing rounds (best counts)")
    p.add_argument("--device", default="cpu", help="cpu, cuda or auto")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", type=Path, default=None, help="also write the results here")
    return p.parse_args(argv)


class NoExtraLevel(ExtraFPNBlock):
    """No pyramid level above the backbone's coarsest, as in our recipes."""

    def forward(self, results: list[Tensor], x: list[Tensor], names: list[str]
                ) -> tuple[list[Tensor], list[str]]:
        return results, names


class Torchvision(nn.Module):
    """A torchvision detector behind our `loss(images, targets)` / `predict(images)` methods."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def loss(self, images: Tensor, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        boxes_only = [{"boxes": t["boxes"], "labels": t["labels"]} for t in targets]
        return self.model(list(images), boxes_only)

    @torch.no_grad()
    def predict(self, images: Tensor) -> list[dict[str, Tensor]]:
        return self.model(list(images))


def torchvision_backbone() -> nn.Module:
    """torchvision's ResNet-18 (random init, trainable batch norm): layers 1-3 into its FPN."""
    return BackboneWithFPN(resnet18(weights=None), {"layer1": "0", "layer2": "1", "layer3": "2"},
                           [64, 128, 256], FPN_CHANNELS, extra_blocks=NoExtraLevel())


def torchvision_faster_rcnn(recipe: recipes.DetectorRecipe, size: int) -> nn.Module:
    ours = recipes.faster_rcnn(recipe, size, len(CLASSES)).cfg  # its anchors and counts
    backbone = torchvision_backbone()
    n = recipe.proposals
    model = FasterRCNN(
        backbone, min_size=size, max_size=size,
        rpn_anchor_generator=AnchorGenerator(ours.anchor_sizes,
                                             (ours.aspect_ratios,) * len(ours.anchor_sizes)),
        rpn_pre_nms_top_n_train=3 * n, rpn_pre_nms_top_n_test=3 * n, rpn_post_nms_top_n_train=n,
        rpn_post_nms_top_n_test=n, rpn_batch_size_per_image=recipe.rpn_samples,
        box_batch_size_per_image=recipe.roi_samples,
        box_roi_pool=MultiScaleRoIAlign(["0", "1", "2"], 7, 1, canonical_scale=size // 2,
                                        canonical_level=3),
        box_head=TwoMLPHead(FPN_CHANNELS * 7 * 7, recipe.representation),
        box_predictor=FastRCNNPredictor(recipe.representation, len(CLASSES) + 1))
    return Torchvision(model)


def torchvision_retinanet(recipe: recipes.DetectorRecipe, size: int) -> nn.Module:
    ours = recipes.retinanet(recipe, size, len(CLASSES)).cfg  # its anchors and matching
    sizes = ours.anchor_sizes
    anchors = AnchorGenerator(sizes, (ours.aspect_ratios,) * len(sizes))
    backbone = torchvision_backbone()
    classes = len(CLASSES) + 1  # torchvision one-hot encodes label k in column k: 0 stays unused
    head = RetinaNetHead(FPN_CHANNELS, anchors.num_anchors_per_location()[0], classes,
                         norm_layer=lambda c: nn.GroupNorm(32, c))
    model = RetinaNet(backbone, num_classes=classes, min_size=size, max_size=size,
                      anchor_generator=anchors, head=head, detections_per_img=100,
                      fg_iou_thresh=ours.fg_iou, bg_iou_thresh=ours.bg_iou)
    return Torchvision(model)


def build(name: str, size: int) -> nn.Module:
    """One of the four detectors, all with a ResNet-18 FPN backbone."""
    recipe = recipes.DetectorRecipe(backbone="resnet18", fpn_channels=FPN_CHANNELS,
                                    head_convs=4, head_norm=True)
    if name == "ours faster_rcnn":
        return recipes.faster_rcnn(recipe, size, len(CLASSES))
    if name == "ours retinanet":
        return recipes.retinanet(recipe, size, len(CLASSES))
    if name == "torchvision faster_rcnn":
        return torchvision_faster_rcnn(recipe, size)
    return torchvision_retinanet(recipe, size)


def train_and_score(name: str, args: argparse.Namespace, data: tuple, device: torch.device
                    ) -> tuple[nn.Module, dict]:
    """The trained detector, its training images/s and its AP50 / AP on the held-out scenes."""
    images, targets, test_images, test_targets = data
    torch.manual_seed(args.seed)
    model = build(name, args.size).to(device)
    cfg = DetectorTrainConfig(steps=args.steps, batch_size=args.batch_size,
                              warmup_steps=min(30, args.steps), lr=1e-3)
    start = time.perf_counter()
    train_detector(model, images, targets, cfg, seed=args.seed)
    if device.type == "cuda":
        torch.cuda.synchronize()
    train_speed = args.steps * args.batch_size / (time.perf_counter() - start)
    predictions = predict_all(model.predict, test_images, device=device)
    ap = coco_evaluate(predictions, test_targets, image_size=(args.size, args.size))
    return model, {"train_images_per_s": train_speed, "AP50": ap["AP50"], "AP": ap["AP"]}


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    device = resolve_device(args.device)
    scenes = recipes.Scenes(size=args.size, n_train=args.train_scenes, n_test=args.test_scenes)
    data = recipes.scene_tensors(scenes, args.seed)
    names = [f"{lib} {d}" for d in ("faster_rcnn", "retinanet") for lib in ("ours", "torchvision")]
    models, results = {}, {}
    for name in names:
        models[name], results[name] = train_and_score(name, args, data, device)
    timed = data[2].to(device)
    speed = dict.fromkeys(names, 0.0)
    for _ in range(args.rounds):  # alternate, so that a load change hits all four alike
        for name in names:
            speed[name] = max(speed[name], images_per_second(models[name].predict, timed))
    for name in names:
        results[name]["infer_images_per_s"] = speed[name]
    table = Table(title=f"{args.steps} steps, batch {args.batch_size}, {args.size}px, {device}, "
                        "ResNet-18 FPN")
    for column in ("detector", "library", "train img/s", "infer img/s (batch 1)", "AP50", "AP"):
        table.add_column(column, justify="left" if column in ("detector", "library") else "right")
    for detector in ("faster_rcnn", "retinanet"):
        ours, tv = results[f"ours {detector}"], results[f"torchvision {detector}"]
        results[f"ratio {detector}"] = {k: ours[k] / tv[k] if tv[k] else float("nan")
                                        for k in ours}
        for lib, r in (("ours", ours), ("torchvision", tv),
                       ("ours / torchvision", results[f"ratio {detector}"])):
            table.add_row(detector, lib, f"{r['train_images_per_s']:.2f}",
                          f"{r['infer_images_per_s']:.2f}", f"{r['AP50']:.3f}", f"{r['AP']:.3f}")
    Console().print(table)
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                         "results": results}, indent=2))
    return results


if __name__ == "__main__":
    main()
