"""RetinaNet, the one-stage detector of lecture 4: FPN, dense heads, focal loss.

Lin et al. 2017, "Focal Loss for Dense Object Detection", Sec. 4 and Fig. 3: an FPN (P3-P7,
256 channels), and on every level two subnets of four 3x3 conv + ReLU layers, one ending in K A
sigmoid class outputs (bias at the prior pi = 0.01), one in 4 A box deltas; 9 anchors a
position; anchors with IoU >= 0.5 are foreground, < 0.4 background, in between ignored. The
classification loss is summed over all anchors (not sampled) and divided by the number of
foreground anchors. Inference: per level the 1000 best scores above 0.05, then per-class NMS at
0.5 and the 100 best. `classification_loss` picks the loss compared in Table 1: "focal" (FL,
gamma, alpha), "bce" (plain cross-entropy over all anchors) or "ohem" (cross-entropy on the
positives and the hardest negatives, 1 : `ohem_ratio`, Table 1d). As torchvision, the best
anchors of every object count as foreground too (low-quality matches).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import clip_boxes_to_image

from lecturelab.detection.anchors import AnchorGenerator, octave_sizes
from lecturelab.detection.box_coder import BoxCoder
from lecturelab.detection.focal_loss import prior_bias, sigmoid_focal_loss
from lecturelab.detection.fpn import FeaturePyramidNetwork
from lecturelab.detection.inputs import check_targets, image_size, standardise
from lecturelab.detection.matcher import BETWEEN, Matcher
from lecturelab.detection.roi_heads import select_detections
from lecturelab.detection.rpn import DenseOutput, flatten_dense, match_batch, padded
from lecturelab.detection.sampler import hard_negative_mask

LOSSES = ("focal", "bce", "ohem")


@dataclass(frozen=True)
class RetinaNetConfig:
    anchor_sizes: tuple[tuple[float, ...], ...] = octave_sizes((32.0, 64.0, 128.0, 256.0, 512.0))
    # ^ anchor sizes per level (backbone levels, then the extra ones), fine to coarse
    aspect_ratios: tuple[float, ...] = (0.5, 1.0, 2.0)  # anchor h / w at every position
    fpn_channels: int = 256  # FPN and head width
    extra_levels: int = 2  # P6, P7 above the backbone's coarsest level
    head_convs: int = 4  # 3x3 conv + ReLU layers in each subnet
    head_norm: bool = False  # GroupNorm (32 groups) after each subnet conv, as torchvision's v2
    classification_loss: str = "focal"  # focal | bce | ohem
    gamma: float = 2.0  # focusing parameter of the focal loss
    alpha: float | None = 0.25  # foreground weight of the focal loss (None: 1)
    prior: float = 0.01  # initial foreground probability pi of every anchor
    ohem_ratio: int = 3  # negatives per positive kept by hard negative mining
    fg_iou: float = 0.5  # IoU at or above which an anchor is foreground
    bg_iou: float = 0.4  # IoU below which it is background (in between: ignored)
    score_thresh: float = 0.05  # detections below this score are dropped
    candidates_per_level: int = 1000  # best scores per level decoded at inference
    nms_iou: float = 0.5  # per-class NMS threshold
    detections_per_image: int = 100  # detections kept per image

    def __post_init__(self) -> None:
        if self.classification_loss not in LOSSES:
            raise ValueError(f"classification_loss must be one of {LOSSES}, got "
                             f"{self.classification_loss!r}")


def subnet(channels: int, convs: int, norm: bool) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(convs):
        layers.append(nn.Conv2d(channels, channels, 3, padding=1))
        layers += [nn.GroupNorm(min(32, channels), channels), nn.ReLU()] if norm else [nn.ReLU()]
    return nn.Sequential(*layers)


class RetinaNetHead(nn.Module):
    """Class and box subnets shared by every level: (B, N, K) logits and (B, N, 4) deltas."""

    def __init__(self, channels: int, num_anchors: int, num_classes: int, *, convs: int = 4,
                 norm: bool = False, prior: float = 0.01) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.cls_subnet = subnet(channels, convs, norm)
        self.box_subnet = subnet(channels, convs, norm)
        self.cls_logits = nn.Conv2d(channels, num_anchors * num_classes, 3, padding=1)
        self.box_deltas = nn.Conv2d(channels, num_anchors * 4, 3, padding=1)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, std=0.01)
                nn.init.zeros_(m.bias)
        nn.init.constant_(self.cls_logits.bias, prior_bias(prior))

    def forward(self, features: Sequence[Tensor]) -> tuple[Tensor, Tensor]:
        logits = [flatten_dense(self.cls_logits(self.cls_subnet(x)), self.num_classes)
                  for x in features]
        deltas = [flatten_dense(self.box_deltas(self.box_subnet(x)), 4) for x in features]
        return torch.cat(logits, 1), torch.cat(deltas, 1)


class RetinaNet(nn.Module):
    """Backbone -> FPN (+ P6, P7) -> dense class and box heads; labels 1..num_classes."""

    def __init__(self, backbone: nn.Module, num_classes: int,
                 cfg: RetinaNetConfig = RetinaNetConfig()) -> None:
        super().__init__()
        top = backbone.strides[-1]
        strides = (*backbone.strides, *(top * 2 ** (i + 1) for i in range(cfg.extra_levels)))
        if len(cfg.anchor_sizes) != len(strides):
            raise ValueError(f"anchor_sizes needs one entry per level (strides {strides}), got "
                             f"{len(cfg.anchor_sizes)}")
        self.num_classes, self.cfg = num_classes, cfg
        self.backbone = backbone
        self.fpn = FeaturePyramidNetwork(backbone.channels, cfg.fpn_channels,
                                         extra_levels=cfg.extra_levels)
        self.anchor_generator = AnchorGenerator(cfg.anchor_sizes, strides,
                                                aspect_ratios=cfg.aspect_ratios)
        self.head = RetinaNetHead(cfg.fpn_channels, self.anchor_generator.num_anchors_per_location,
                                  num_classes, convs=cfg.head_convs, norm=cfg.head_norm,
                                  prior=cfg.prior)
        self.coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
        self.matcher = Matcher(cfg.fg_iou, cfg.bg_iou, allow_low_quality_matches=True)

    def dense(self, images: Tensor) -> DenseOutput:
        """Class logits (B, N, K) and deltas (B, N, 4) for all N anchors."""
        features = self.fpn(self.backbone(standardise(images)))
        logits, deltas = self.head(features)
        sizes = [tuple(f.shape[-2:]) for f in features]
        a = self.anchor_generator.num_anchors_per_location
        return DenseOutput(logits, deltas, self.anchor_generator(sizes, images.device),
                           [h * w * a for h, w in sizes])

    @torch.no_grad()
    def assign(self, anchors: Tensor, targets: Sequence[dict[str, Tensor]]
               ) -> tuple[Tensor, Tensor]:
        """Per anchor its class (B, N): 1..K, 0 background, -1 ignored; and its object (B, N, 4)."""
        match = match_batch(anchors, [t["boxes"] for t in targets], self.matcher)  # (B, N)
        labels = padded([t["labels"] for t in targets], 0)  # (B, G_max)
        boxes = padded([t["boxes"] for t in targets], 0.0)  # (B, G_max, 4)
        index = match.clamp(min=0)
        classes = torch.where(match >= 0, labels.gather(1, index), 0)
        classes[match == BETWEEN] = -1
        objects = boxes.gather(1, index[..., None].expand(-1, -1, 4))  # (B, N, 4)
        return classes, objects

    def classification_losses(self, logits: Tensor, classes: Tensor) -> Tensor:
        """Element-wise (B, N, K) loss of the configured kind, zero on ignored anchors."""
        onehot = F.one_hot(classes.clamp(min=0), self.num_classes + 1)[..., 1:].to(logits.dtype)
        focal = self.cfg.classification_loss == "focal"
        loss = sigmoid_focal_loss(logits, onehot, alpha=self.cfg.alpha if focal else None,
                                  gamma=self.cfg.gamma if focal else 0.0)
        return loss * (classes >= 0)[..., None]

    def loss(self, images: Tensor, targets: Sequence[dict[str, Tensor]]) -> dict[str, Tensor]:
        """Classification over all (or OHEM-selected) anchors and smooth L1 on the foreground,
        both divided by the number of foreground anchors."""
        check_targets(targets, len(images), self.num_classes)
        out = self.dense(images)
        classes, objects = self.assign(out.anchors, targets)
        fg = classes > 0
        num_fg = max(int(fg.sum()), 1)
        per_element = self.classification_losses(out.logits, classes)
        if self.cfg.classification_loss == "ohem":
            per_anchor = per_element.sum(-1).flatten()  # (B*N,)
            labels = torch.where(classes < 0, -1, fg.long()).flatten()
            chosen = hard_negative_mask(per_anchor, labels,
                                        negatives_per_positive=self.cfg.ohem_ratio,
                                        min_negatives=self.cfg.ohem_ratio)
            classification = per_anchor[chosen].sum() / num_fg
        else:
            classification = per_element.sum() / num_fg
        anchors = out.anchors.expand(len(images), -1, -1)  # (B, N, 4)
        box_targets = self.coder.encode(objects[fg], anchors[fg])
        box = F.smooth_l1_loss(out.deltas[fg], box_targets, beta=1 / 9, reduction="sum") / num_fg
        return {"classification": classification, "box_regression": box}

    @torch.no_grad()
    def predict(self, images: Tensor) -> list[dict[str, Tensor]]:
        """Per image {"boxes" (N, 4), "scores" (N,), "labels" (N,)}, at most 100."""
        out, size, cfg = self.dense(images), image_size(images), self.cfg
        scores_all = torch.sigmoid(out.logits)  # (B, N, K)
        results = []
        for b in range(len(images)):
            boxes, scores, labels, start = [], [], [], 0
            for n in out.level_sizes:
                s = scores_all[b, start:start + n].flatten()  # (n*K,)
                keep = torch.nonzero(s > cfg.score_thresh).flatten()
                keep = keep[s[keep].topk(min(cfg.candidates_per_level, len(keep))).indices]
                anchor = keep // self.num_classes + start
                boxes.append(self.coder.decode(out.deltas[b, anchor], out.anchors[anchor]))
                scores.append(s[keep])
                labels.append(keep % self.num_classes + 1)
                start += n
            results.append(select_detections(
                clip_boxes_to_image(torch.cat(boxes), size), torch.cat(scores),
                torch.cat(labels), score_thresh=cfg.score_thresh, nms_iou=cfg.nms_iou,
                limit=cfg.detections_per_image))
        return results
