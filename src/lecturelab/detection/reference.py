"""torchvision's Faster R-CNN and RetinaNet on our backbone: the references of the full profile.

The *full* criteria of l4.faster_rcnn and l4.focal_loss compare our detectors with torchvision's
trained on the same data, backbone size and schedule. `reference_faster_rcnn` and
`reference_retinanet` build torchvision's models around the same backbone maps (through
torchvision's own FPN) with the same anchors, proposal counts, sample sizes and head widths as
`recipes.faster_rcnn` / `recipes.retinanet`, and `TorchvisionDetector` puts them behind this
package's `loss` / `predict` methods, so that `train_detector` and `evaluate` apply unchanged.
torchvision's RetinaNet head always has four convs per subnet: match it with `head_convs=4`.
"""

from __future__ import annotations

from collections import OrderedDict
from functools import partial

import torch
from torch import Tensor, nn
from torchvision.models.detection import FasterRCNN, RetinaNet
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.retinanet import RetinaNetHead
from torchvision.ops import FeaturePyramidNetwork, MultiScaleRoIAlign

from lecturelab.data.shapes import CLASSES
from lecturelab.detection.inputs import IMAGE_MEAN, IMAGE_STD, check_targets
from lecturelab.detection.recipes import (
    DetectorRecipe,
    Scenes,
    Trained,
    backbone,
    faster_rcnn,
    fit,
    retinanet,
)
from lecturelab.detection.training import DetectorTrainConfig


class PyramidBackbone(nn.Module):
    """Our backbone's maps through torchvision's FPN, as the OrderedDict its detectors expect."""

    def __init__(self, body: nn.Module, out_channels: int) -> None:
        super().__init__()
        self.body, self.out_channels = body, out_channels
        self.fpn = FeaturePyramidNetwork(list(body.channels), out_channels)

    def forward(self, images: Tensor) -> OrderedDict[str, Tensor]:
        return self.fpn(OrderedDict((str(i), m) for i, m in enumerate(self.body(images))))


class TorchvisionDetector(nn.Module):
    """A torchvision detector with `loss` (train mode) and `predict` (eval mode) methods."""

    def __init__(self, model: FasterRCNN | RetinaNet, num_classes: int) -> None:
        super().__init__()
        self.model, self.num_classes = model, num_classes

    def loss(self, images: Tensor, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        if not self.training:
            raise ValueError("call .train() before loss: torchvision's forward depends on it")
        check_targets(targets, len(images), self.num_classes)
        return self.model(list(images), [{"boxes": t["boxes"], "labels": t["labels"]}
                                         for t in targets])

    @torch.no_grad()
    def predict(self, images: Tensor) -> list[dict[str, Tensor]]:
        if self.training:
            raise ValueError("call .eval() before predict: torchvision's forward depends on it")
        return self.model(list(images))


def _common(image_size: int) -> dict:
    return dict(min_size=image_size, max_size=image_size, image_mean=list(IMAGE_MEAN),
                image_std=list(IMAGE_STD))


def reference_faster_rcnn(recipe: DetectorRecipe, image_size: int,
                          num_classes: int) -> TorchvisionDetector:
    """torchvision's Faster R-CNN with the settings of `recipes.faster_rcnn`."""
    ours = faster_rcnn(recipe, image_size, num_classes).cfg
    rpn, roi, c = ours.rpn, ours.roi, recipe.fpn_channels
    levels = [str(i) for i in range(len(ours.anchor_sizes))]
    model = FasterRCNN(
        PyramidBackbone(backbone(recipe), c), num_classes=None, **_common(image_size),
        rpn_anchor_generator=AnchorGenerator(ours.anchor_sizes,
                                             (ours.aspect_ratios,) * len(levels)),
        rpn_pre_nms_top_n_train=rpn.pre_nms_top_n, rpn_post_nms_top_n_train=rpn.post_nms_top_n,
        rpn_pre_nms_top_n_test=rpn.pre_nms_top_n_test,
        rpn_post_nms_top_n_test=rpn.post_nms_top_n_test,
        rpn_batch_size_per_image=rpn.batch_size_per_image,
        box_roi_pool=MultiScaleRoIAlign(levels, roi.pool_size, roi.sampling_ratio,
                                        canonical_scale=int(roi.canonical_size),
                                        canonical_level=roi.canonical_level),
        box_head=TwoMLPHead(c * roi.pool_size**2, roi.representation),
        box_predictor=FastRCNNPredictor(roi.representation, num_classes + 1),
        box_batch_size_per_image=roi.batch_size_per_image)
    return TorchvisionDetector(model, num_classes)


def reference_retinanet(recipe: DetectorRecipe, image_size: int,
                        num_classes: int) -> TorchvisionDetector:
    """torchvision's RetinaNet (focal loss) with the settings of `recipes.retinanet`."""
    ours = retinanet(recipe, image_size, num_classes).cfg
    anchors = AnchorGenerator(ours.anchor_sizes, (ours.aspect_ratios,) * len(ours.anchor_sizes))
    norm = partial(nn.GroupNorm, 32) if recipe.head_norm else None
    head = RetinaNetHead(recipe.fpn_channels, anchors.num_anchors_per_location()[0],
                         num_classes + 1, norm_layer=norm)
    model = RetinaNet(PyramidBackbone(backbone(recipe), recipe.fpn_channels), num_classes + 1,
                      anchor_generator=anchors, head=head, detections_per_img=100,
                      fg_iou_thresh=ours.fg_iou, bg_iou_thresh=ours.bg_iou,
                      **_common(image_size))
    return TorchvisionDetector(model, num_classes)


def trained_reference(kind: str, recipe: DetectorRecipe, scenes: Scenes,
                      train: DetectorTrainConfig, seed: int, device: torch.device) -> Trained:
    """torchvision's "faster_rcnn" or "retinanet", trained exactly as `recipes.trained` trains
    ours."""
    build = {"faster_rcnn": reference_faster_rcnn, "retinanet": reference_retinanet}
    if kind not in build:
        raise ValueError(f"kind must be faster_rcnn or retinanet, got {kind!r}")
    torch.manual_seed(seed)
    return fit(build[kind](recipe, scenes.size, len(CLASSES)).to(device), scenes, train, seed)
