"""Faster R-CNN, the two-stage detector of lecture 4, with an optional Mask R-CNN head.

Ren et al. 2015, "Faster R-CNN: Towards Real-Time Object Detection with Region Proposal
Networks": a backbone, a region proposal network (stage one: objectness of every anchor, top K
proposals) and a Fast R-CNN head (stage two: classify and refine each proposal), trained jointly
end to end ("approximate joint training", Sec. 3.2: proposals are treated as constants, not the
lecture's alternating four-step scheme). Lin et al. 2017, FPN: the pyramid feeds both stages.
He et al. 2017, Mask R-CNN: `masks=True` adds the mask head on the foreground RoIs.
Explicit `loss(images, targets)` and `predict(images)`; call `.eval()` before predicting
(batch norm), as with any torch model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from lecturelab.detection.anchors import AnchorGenerator
from lecturelab.detection.fpn import FeaturePyramidNetwork
from lecturelab.detection.inputs import check_targets, image_size, standardise
from lecturelab.detection.mask_head import MaskHead, mask_loss, mask_targets, predicted_masks
from lecturelab.detection.roi_heads import RoIHeads, RoIHeadsConfig, RoISample
from lecturelab.detection.rpn import RegionProposalNetwork, RPNConfig


@dataclass(frozen=True)
class FasterRCNNConfig:
    anchor_sizes: tuple[tuple[float, ...], ...] = ((32.0,), (64.0,), (128.0,), (256.0,))
    # ^ anchor sizes (sqrt of area, pixels) per feature level, fine to coarse
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)  # anchor h / w at every position
    fpn_channels: int = 256  # FPN width; 0 = no FPN (the backbone must give a single map)
    rpn: RPNConfig = RPNConfig()  # stage one
    roi: RoIHeadsConfig = RoIHeadsConfig()  # stage two
    masks: bool = False  # add the Mask R-CNN head (14x14 RoIs -> 28x28 masks)
    mask_channels: int = 256  # width of the mask head's convs
    mask_pool: int = 14  # side of the RoIs the mask head sees; its masks are twice that
    mask_threshold: float = 0.5  # probability at which a predicted mask pixel is on


class FasterRCNN(nn.Module):
    """Backbone (+ FPN) -> RPN -> RoI heads (+ mask head); labels 1..num_classes."""

    def __init__(self, backbone: nn.Module, num_classes: int,
                 cfg: FasterRCNNConfig = FasterRCNNConfig()) -> None:
        super().__init__()
        strides, channels = tuple(backbone.strides), tuple(backbone.channels)
        if len(cfg.anchor_sizes) != len(strides):
            raise ValueError(f"anchor_sizes needs one entry per backbone level (strides "
                             f"{strides}), got {len(cfg.anchor_sizes)}")
        if not cfg.fpn_channels and len(channels) != 1:
            raise ValueError(f"without an FPN the backbone must give one map, got {channels}")
        self.num_classes, self.cfg = num_classes, cfg
        self.backbone = backbone
        self.fpn = (FeaturePyramidNetwork(channels, cfg.fpn_channels) if cfg.fpn_channels
                    else None)
        width = cfg.fpn_channels or channels[0]
        anchors = AnchorGenerator(cfg.anchor_sizes, strides, aspect_ratios=cfg.aspect_ratios)
        self.rpn = RegionProposalNetwork(anchors, width, cfg.rpn)
        self.roi_heads = RoIHeads(width, strides, num_classes, cfg.roi)
        self.mask_head = (MaskHead(width, num_classes, channels=cfg.mask_channels)
                          if cfg.masks else None)

    def features(self, images: Tensor) -> list[Tensor]:
        maps = self.backbone(standardise(images))
        return self.fpn(maps) if self.fpn is not None else maps

    def loss(self, images: Tensor, targets: Sequence[dict[str, Tensor]]) -> dict[str, Tensor]:
        """The four Faster R-CNN losses (+ "mask"), each a scalar; their sum is trained."""
        check_targets(targets, len(images), self.num_classes, masks=self.mask_head is not None)
        features = self.features(images)
        dense = self.rpn(features)
        losses = self.rpn.loss(dense, targets)
        proposals = self.rpn.propose(dense, image_size(images), training=True)
        sample = self.roi_heads.sample(proposals, targets)
        losses |= self.roi_heads.loss(features, sample)
        if self.mask_head is not None:
            losses["mask"] = self._mask_loss(features, sample, targets)
        return losses

    def _mask_loss(self, features: list[Tensor], sample: RoISample,
                   targets: Sequence[dict[str, Tensor]]) -> Tensor:
        boxes, goals = [], []
        for b, m, t in zip(sample.boxes, sample.matched, targets, strict=True):
            fg = m >= 0
            boxes.append(b[fg])
            goals.append(mask_targets(t["masks"], m[fg], b[fg], 2 * self.cfg.mask_pool))
        pooled = self.roi_heads.pool(features, boxes, self.cfg.mask_pool)
        logits = self.mask_head(pooled)  # (R_fg, K, 2 mask_pool, 2 mask_pool)
        return mask_loss(logits, sample.labels[sample.labels > 0], torch.cat(goals))

    @torch.no_grad()
    def propose(self, images: Tensor) -> list[Tensor]:
        """Stage one alone: per image the (P, 4) proposals in decreasing objectness."""
        return self.rpn.propose(self.rpn(self.features(images)), image_size(images),
                                training=False)

    @torch.no_grad()
    def predict(self, images: Tensor) -> list[dict[str, Tensor]]:
        """Per image {"boxes" (N, 4), "scores" (N,), "labels" (N,), ["masks" (N, H, W) bool]}."""
        size = image_size(images)
        features = self.features(images)
        proposals = self.rpn.propose(self.rpn(features), size, training=False)
        detections = self.roi_heads.predict(features, proposals, size)
        if self.mask_head is not None:
            pooled = self.roi_heads.pool(features, [d["boxes"] for d in detections],
                                         self.cfg.mask_pool)
            predicted_masks(self.mask_head, pooled, detections, size,
                            threshold=self.cfg.mask_threshold)
        return detections
