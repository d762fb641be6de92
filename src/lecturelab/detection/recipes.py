"""Small detectors for the shapes scenes, and training runs shared within a process (lecture 4).

The lecture-4 experiments train detectors on procedural shapes scenes (data/shapes.py) on a CPU
in about a minute, which the paper settings cannot do. The quick recipe: 64-pixel scenes, held-
out scenes with 0 to 4 objects but denser training scenes (3 to 8 objects: more objects a step;
2 to 6 gained +0.08 AP50 over 0 to 4 at equal steps, 3 to 8 another +0.03 with half the scenes
to render), the `TinyResNet` backbone with three pyramid levels at
strides 4, 8 and 16 and a 32-channel FPN (64 channels cost 2.5x the multiply-adds a step, the
dense heads' 3x3 convs on the stride-4 level most of them); anchors sized to the objects
(0.12-0.35 of the image side). For Faster R-CNN 300 / 100 proposals before / after NMS, 128
anchors and 32 RoIs sampled per image, a 256-wide box head, RoIs of side image/2 on the stride-8
level. For RetinaNet two 3x3 convs per subnet with GroupNorm (as torchvision's RetinaNet v2; a
departure from the paper's plain convs, it trains faster from scratch), square anchors only (the
shapes are compact) and foreground / background IoU thresholds 0.4 / 0.3 instead of 0.5 / 0.4
(more positive anchors for the small objects: measured +0.07 AP50 at equal steps).
Where a quick step's time goes (`benchmarks/detector_plateau.py`, one thread, 8 scenes):
RetinaNet 27 ms alone, about 34 ms in `make demo` with the other core busy, some 60% of it
convolutions (backward about 40%, forward 20%: compute-bound, the heads half the multiply-adds);
Faster R-CNN 49 ms alone, RoIAlign's backward (torchvision's CPU kernel) 13% of it. A model
with a quarter of the multiply-adds steps in 24 ms but reaches the same AP per CPU second, so
the quick schedule gains by converging in fewer steps instead (QUICK_TRAIN below).
The profiles, one definition each: QUICK_SCENES, QUICK_RECIPE and QUICK_TRAIN (the quick
profile, on a CPU), PAPER_SCENES, PAPER_RECIPE and PAPER_TRAIN (the full profile, for a GPU).
`trained` trains a detector once per process, so experiments asking for the same one share it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import torch
from torch import Tensor, nn

from lecturelab.data import load_dataset
from lecturelab.data.shapes import CLASSES
from lecturelab.detection.anchors import octave_sizes
from lecturelab.detection.backbones import TinyResNet, zoo_backbone
from lecturelab.detection.evaluation import coco_evaluate
from lecturelab.detection.faster_rcnn import FasterRCNN, FasterRCNNConfig
from lecturelab.detection.retinanet import RetinaNet, RetinaNetConfig
from lecturelab.detection.roi_heads import RoIHeadsConfig
from lecturelab.detection.rpn import RPNConfig
from lecturelab.detection.training import DetectorTrainConfig, Targets, predict_all, train_detector
from lecturelab.runtime import computed_once


@dataclass(frozen=True)
class Scenes:
    size: int = 64  # image side in pixels
    n_train: int = 4000  # training scenes (rendering 4000 takes about 5 s on one thread)
    n_test: int = 300  # held-out scenes
    max_objects: int = 4  # most objects in a held-out scene (0 to this many)
    train_objects: tuple[int, int] | None = (3, 8)  # fewest and most objects in a training
    # ^ scene; None: as the held-out scenes
    style: str = "plain"  # render style of data/shapes.py


@dataclass(frozen=True)
class DetectorRecipe:
    backbone: str = "tiny"  # "tiny" (TinyResNet) or a zoo ResNet name, e.g. "resnet50"
    widths: tuple[int, ...] = (32, 64, 128, 256)  # TinyResNet stage widths
    fpn_channels: int = 32  # pyramid width, also RetinaNet's head width
    proposals: int = 100  # proposals kept after NMS per image (3x as many before)
    rpn_samples: int = 128  # anchors sampled per image for the RPN loss
    roi_samples: int = 32  # RoIs sampled per image for the box-head loss
    representation: int = 256  # width of the box head's two fc layers
    head_convs: int = 2  # RetinaNet: 3x3 convs per subnet
    head_norm: bool = True  # RetinaNet: GroupNorm in the subnets
    aspect_ratios: tuple[float, ...] = (1.0,)  # RetinaNet: anchor h / w at every position
    match_iou: tuple[float, float] = (0.4, 0.3)  # RetinaNet: foreground at or above the
    # ^ first IoU, background below the second
    masks: bool = False  # Faster R-CNN: add the Mask R-CNN head
    mask_pool: int = 7  # Mask R-CNN: RoI side the mask head sees (masks twice that); the
    # ^ paper's 14 (28x28 masks) is larger than the quick scenes' objects


QUICK_SCENES = Scenes()
QUICK_RECIPE = DetectorRecipe()
QUICK_TRAIN = DetectorTrainConfig(steps=1200, lr=1.6e-2, warmup_steps=200)
# ^ the quick profile of every shared RetinaNet: one value each, so that the lecture-4
#   experiments of one run ask `trained` for the same detector. RetinaNet (focal), AP / AP50 on
#   the held-out scenes at 1200 steps, seed 0: lr 8e-3 with 30 warm-up steps 0.53 / 0.77, lr
#   1.6e-2 with 200 warm-up steps 0.60 / 0.82 (seed 1: 0.54 / 0.76 against 0.57 / 0.78); at
#   1600 steps 1.2e-2 0.64 / 0.85, 1.6e-2 0.65 / 0.87, 2e-2 (300 warm-up) 0.64 / 0.86. By steps
#   at 1.6e-2 (seed 0): 800 0.49 / 0.70, 1200 0.60 / 0.82, 1600 0.65 / 0.87, 3200 0.74 / 0.95:
#   the plateau lies beyond 3200 steps, past the quick budget (four RetinaNets share it;
#   benchmarks/detector_plateau.py measures it)
QUICK_TRAIN_TWO_STAGE = replace(QUICK_TRAIN, lr=4e-3, warmup_steps=30)
# ^ Faster R-CNN's quick schedule: the same steps at its own lr; at 1200 steps AP / AP50 0.63 /
#   0.83 at 4e-3 against 0.57 / 0.79 at 8e-3, and 0.62 / 0.83 at 8e-3 with 200 warm-up steps
#   (seed 0)
PAPER_SCENES = Scenes(size=256, n_train=20_000, n_test=1000, max_objects=8,
                      train_objects=None)
PAPER_RECIPE = DetectorRecipe(backbone="resnet50", fpn_channels=256, proposals=1000,
                              rpn_samples=256, roi_samples=512, representation=1024,
                              head_convs=4, head_norm=False, aspect_ratios=(0.5, 1.0, 2.0),
                              match_iou=(0.5, 0.4), mask_pool=14)
# ^ the full profile: ResNet-50, paper-like proposal, sample and head sizes (Ren et al. 2015,
#   Lin et al. 2017), on 256-pixel scenes with up to 8 objects
PAPER_TRAIN = DetectorTrainConfig(steps=30_000, batch_size=16, optimizer="sgd", lr=0.01,
                                  warmup_steps=500)
# ^ the full schedule: SGD, 16 images a batch, lr 0.01 (RetinaNet, Lin et al. 2017, Sec. 4.1),
#   the schedule of every full detector shared between experiments
PAPER_TRAIN_TWO_STAGE = replace(PAPER_TRAIN, lr=0.02)
# ^ at Faster R-CNN with FPN's lr (Lin et al. 2017, "Feature pyramid networks", Sec. 5), where a
#   two-stage detector trains alone (l4.one_vs_two_stage trains both kinds on PAPER_TRAIN)


def backbone(recipe: DetectorRecipe) -> nn.Module:
    """Three maps at strides 4, 8 and 16 (stages 0-2), from TinyResNet or a zoo ResNet."""
    if recipe.backbone == "tiny":
        return TinyResNet(widths=recipe.widths, return_stages=(0, 1, 2))
    return zoo_backbone(recipe.backbone, return_stages=(0, 1, 2))


def faster_rcnn(recipe: DetectorRecipe, image_size: int, num_classes: int) -> FasterRCNN:
    """Faster R-CNN with anchors of 1/8, 3/16 and 1/4 of the image at stride 4, x2 a level."""
    base = image_size / 8
    sizes = tuple(tuple(base * 2**i * k for k in (1.0, 1.5, 2.0)) for i in range(3))
    n = recipe.proposals
    rpn = RPNConfig(pre_nms_top_n=3 * n, post_nms_top_n=n, pre_nms_top_n_test=3 * n,
                    post_nms_top_n_test=n, batch_size_per_image=recipe.rpn_samples)
    roi = RoIHeadsConfig(batch_size_per_image=recipe.roi_samples, sampling_ratio=1,
                         representation=recipe.representation,
                         canonical_size=image_size / 2, canonical_level=3)
    cfg = FasterRCNNConfig(anchor_sizes=sizes, fpn_channels=recipe.fpn_channels, rpn=rpn,
                           roi=roi, masks=recipe.masks, mask_channels=recipe.fpn_channels,
                           mask_pool=recipe.mask_pool)
    return FasterRCNN(backbone(recipe), num_classes, cfg)


def retinanet(recipe: DetectorRecipe, image_size: int, num_classes: int, *,
              loss: str = "focal", gamma: float = 2.0, alpha: float | None = 0.25,
              prior: float = 0.01, ohem_ratio: int = 3) -> RetinaNet:
    """RetinaNet on the same three levels, octave anchors from 3/32 of the image, x2 a level."""
    base = 3 * image_size / 32
    cfg = RetinaNetConfig(anchor_sizes=octave_sizes((base, 2 * base, 4 * base)),
                          aspect_ratios=recipe.aspect_ratios, fg_iou=recipe.match_iou[0],
                          bg_iou=recipe.match_iou[1], fpn_channels=recipe.fpn_channels,
                          extra_levels=0,
                          head_convs=recipe.head_convs, head_norm=recipe.head_norm,
                          classification_loss=loss, gamma=gamma, alpha=alpha, prior=prior,
                          ohem_ratio=ohem_ratio)
    return RetinaNet(backbone(recipe), num_classes, cfg)


@computed_once
def scene_tensors(scenes: Scenes, seed: int) -> tuple[Tensor, Targets, Tensor, Targets]:
    """Training and held-out images (N, 3, H, W) in [0, 1] with their targets, rendered once."""
    common = dict(seed=seed, size=scenes.size, style=scenes.style)
    test = load_dataset("shapes", n_train=0, n_test=scenes.n_test,
                        max_objects=scenes.max_objects, **common).test
    low, high = scenes.train_objects or (0, scenes.max_objects)
    train = load_dataset("shapes", n_train=scenes.n_train, n_test=0, min_objects=low,
                         max_objects=high, **common).train
    return (*train.batch(range(scenes.n_train)), *test.batch(range(scenes.n_test)))


@dataclass
class Trained:
    """A trained detector (shared: copy before changing it) and how its training went."""

    model: nn.Module
    seconds: float  # wall-clock training time
    steps_per_second: float
    final_loss: float  # mean loss of the last 10% of the steps


def fit(model: nn.Module, scenes: Scenes, train: DetectorTrainConfig, seed: int) -> Trained:
    """Train `model` (already on its device) on the training scenes; it ends in eval mode."""
    images, targets, _, _ = scene_tensors(scenes, seed)
    start = time.perf_counter()
    history = train_detector(model, images, targets, train, seed=seed)
    seconds = time.perf_counter() - start
    tail = history[-max(len(history) // 10, 1):]
    return Trained(model.eval(), seconds, train.steps / seconds, sum(tail) / len(tail))


def detector(kind: str, recipe: DetectorRecipe, image_size: int, *, loss: str = "focal"
             ) -> nn.Module:
    """A fresh "faster_rcnn" or "retinanet" (with `loss`) of `recipe` for the shapes classes."""
    if kind not in ("faster_rcnn", "retinanet"):
        raise ValueError(f"kind must be faster_rcnn or retinanet, got {kind!r}")
    if kind == "faster_rcnn":
        return faster_rcnn(recipe, image_size, len(CLASSES))
    return retinanet(recipe, image_size, len(CLASSES), loss=loss)


@computed_once
def trained(kind: str, recipe: DetectorRecipe, scenes: Scenes, train: DetectorTrainConfig,
            seed: int, device: torch.device, loss: str = "focal") -> Trained:
    """A detector ("faster_rcnn" or "retinanet" with `loss`) trained on `scenes`, once per process
    for each argument set however it is passed; the model is returned in eval mode."""
    torch.manual_seed(seed)
    return fit(detector(kind, recipe, scenes.size, loss=loss).to(device), scenes, train, seed)


def evaluate(model: nn.Module, images: Tensor, targets: Targets, *,
             device: torch.device) -> dict[str, float]:
    """COCO box AP, AP50, ... of `model.predict` on the images (pycocotools)."""
    predictions = predict_all(model.predict, images, device=device)
    return coco_evaluate(predictions, targets, image_size=tuple(images.shape[-2:]))
