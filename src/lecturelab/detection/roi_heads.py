"""The second stage of Faster R-CNN: classify and refine each proposal (lecture 4).

Girshick 2015, "Fast R-CNN", Sec. 2: RoI pooling of each proposal to a fixed 7x7 grid, two fc
layers, then a (K+1)-way softmax and class-specific box deltas (weights 10, 10, 5, 5); training
samples 25% foreground RoIs (IoU >= 0.5 with an object) out of a fixed number per image, and the
ground-truth boxes join the proposals. He et al. 2017, "Mask R-CNN", Sec. 3: RoIAlign (bilinear,
no quantisation) instead of RoI pooling - here `torchvision.ops.roi_align(aligned=True)`.
Lin et al. 2017, "FPN", Eq. 1: a RoI of size sqrt(wh) reads level k = floor(k0 + log2(sqrt(wh)
/ 224)); the canonical 224 is a parameter here, since shapes scenes are far smaller than COCO's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes, roi_align

from lecturelab.detection.box_coder import BoxCoder
from lecturelab.detection.matcher import Matcher
from lecturelab.detection.sampler import sample_balanced


@dataclass(frozen=True)
class RoIHeadsConfig:
    fg_iou: float = 0.5  # IoU at or above which a proposal is foreground (else background)
    batch_size_per_image: int = 512  # RoIs sampled per image for the loss
    positive_fraction: float = 0.25  # at most this share of them foreground
    pool_size: int = 7  # RoIAlign output grid
    sampling_ratio: int = 2  # bilinear samples per grid cell and axis
    representation: int = 1024  # width of the two fc layers
    canonical_size: float = 224.0  # sqrt(wh) of a RoI that reads level canonical_level (FPN)
    canonical_level: int = 4  # k0 of FPN Eq. 1 (level k has stride 2^k)
    score_thresh: float = 0.05  # detections below this score are dropped
    nms_iou: float = 0.5  # per-class NMS threshold
    detections_per_image: int = 100  # detections kept per image


def pool_rois(features: Sequence[Tensor], strides: Sequence[int], boxes: Sequence[Tensor], *,
              output_size: int, sampling_ratio: int, canonical_size: float = 224.0,
              canonical_level: int = 4) -> Tensor:
    """RoIAlign of every image's boxes from its FPN level: (sum_b R_b, C, S, S)."""
    rois = torch.cat([torch.cat([torch.full_like(b[:, :1], i), b], 1)
                      for i, b in enumerate(boxes)])  # (R, 5): image index, x1, y1, x2, y2
    align = dict(output_size=output_size, sampling_ratio=sampling_ratio, aligned=True)
    if len(features) == 1:
        return roi_align(features[0], rois, spatial_scale=1 / strides[0], **align)
    w, h = rois[:, 3] - rois[:, 1], rois[:, 4] - rois[:, 2]
    k = torch.floor(canonical_level + torch.log2((w * h).clamp(min=1e-6).sqrt() / canonical_size))
    level = (k - math.log2(strides[0])).clamp(0, len(features) - 1).long()  # (R,)
    out = rois.new_zeros(len(rois), features[0].shape[1], output_size, output_size)
    for i, (f, s) in enumerate(zip(features, strides, strict=True)):
        idx = torch.nonzero(level == i).flatten()
        out[idx] = roi_align(f, rois[idx], spatial_scale=1 / s, **align)
    return out


@dataclass
class RoISample:
    """The RoIs sampled for the second stage's loss, positives first in each image."""

    boxes: list[Tensor]  # per image (R_b, 4)
    labels: Tensor  # (R,) class 1..K, 0 background
    box_targets: Tensor  # (R, 4) encoded ground truth (zero for background)
    matched: list[Tensor]  # per image (R_b,) index of the matched object, -1 for background


class RoIHeads(nn.Module):
    """Pool each RoI, two fc layers, then K+1 class scores and (K+1) x 4 deltas."""

    def __init__(self, channels: int, strides: Sequence[int], num_classes: int,
                 cfg: RoIHeadsConfig = RoIHeadsConfig()) -> None:
        super().__init__()
        if any(b != strides[0] * 2**i for i, b in enumerate(strides)):
            raise ValueError(f"strides must double from level to level, got {tuple(strides)}")
        self.strides, self.num_classes, self.cfg = tuple(strides), num_classes, cfg
        self.fc = nn.Sequential(nn.Flatten(),
                                nn.Linear(channels * cfg.pool_size**2, cfg.representation),
                                nn.ReLU(), nn.Linear(cfg.representation, cfg.representation),
                                nn.ReLU())
        self.cls_score = nn.Linear(cfg.representation, num_classes + 1)
        self.bbox_pred = nn.Linear(cfg.representation, 4 * (num_classes + 1))
        nn.init.normal_(self.cls_score.weight, std=0.01)
        nn.init.normal_(self.bbox_pred.weight, std=0.001)
        for layer in (self.cls_score, self.bbox_pred):
            nn.init.zeros_(layer.bias)
        self.coder = BoxCoder((10.0, 10.0, 5.0, 5.0))
        self.matcher = Matcher(cfg.fg_iou, cfg.fg_iou, allow_low_quality_matches=False)

    def pool(self, features: Sequence[Tensor], boxes: Sequence[Tensor], size: int) -> Tensor:
        return pool_rois(features, self.strides, boxes, output_size=size,
                         sampling_ratio=self.cfg.sampling_ratio,
                         canonical_size=self.cfg.canonical_size,
                         canonical_level=self.cfg.canonical_level)

    def forward(self, features: Sequence[Tensor], boxes: Sequence[Tensor]
                ) -> tuple[Tensor, Tensor]:
        """Class logits (R, K+1) and deltas (R, 4(K+1)) for every image's boxes."""
        x = self.fc(self.pool(features, boxes, self.cfg.pool_size))
        return self.cls_score(x), self.bbox_pred(x)

    @torch.no_grad()
    def sample(self, proposals: Sequence[Tensor], targets: Sequence[dict[str, Tensor]]
               ) -> RoISample:
        """Label proposals (+ the ground truth) by IoU and sample 25% foreground per image."""
        boxes, labels, box_targets, matched = [], [], [], []
        for props, target in zip(proposals, targets, strict=True):
            gt = target["boxes"]
            props = torch.cat([props, gt])
            match = self.matcher(box_iou(gt, props))  # (P,)
            fg = match >= 0
            pos, neg = sample_balanced(fg.long(), batch_size=self.cfg.batch_size_per_image,
                                       positive_fraction=self.cfg.positive_fraction)
            keep = torch.cat([pos, neg])
            m = torch.where(fg[keep], match[keep], -1)
            label = torch.zeros_like(m)
            label[: len(pos)] = target["labels"][m[: len(pos)]]
            encoded = torch.zeros(len(keep), 4, device=gt.device)
            encoded[: len(pos)] = self.coder.encode(gt[m[: len(pos)]], props[pos])
            boxes.append(props[keep])
            labels.append(label)
            box_targets.append(encoded)
            matched.append(m)
        return RoISample(boxes, torch.cat(labels), torch.cat(box_targets), matched)

    def loss(self, features: Sequence[Tensor], sample: RoISample) -> dict[str, Tensor]:
        """Cross-entropy over the sampled RoIs; smooth L1 on the foreground's class's deltas."""
        logits, deltas = self(features, sample.boxes)
        classification = F.cross_entropy(logits, sample.labels)
        fg = torch.nonzero(sample.labels > 0).flatten()
        deltas = deltas.view(len(deltas), -1, 4)[fg, sample.labels[fg]]  # (F, 4)
        box = F.smooth_l1_loss(deltas, sample.box_targets[fg], beta=1 / 9,
                               reduction="sum") / max(len(sample.labels), 1)
        return {"roi_classification": classification, "roi_box": box}

    @torch.no_grad()
    def predict(self, features: Sequence[Tensor], proposals: Sequence[Tensor],
                image_size: tuple[int, int]) -> list[dict[str, Tensor]]:
        """Per image: boxes, scores, labels after score threshold and per-class NMS."""
        logits, deltas = self(features, proposals)
        scores = F.softmax(logits, -1)[:, 1:]  # (R, K)
        boxes = self.coder.decode(deltas, torch.cat(proposals))[:, 1:]  # (R, K, 4)
        labels = torch.arange(1, self.num_classes + 1, device=logits.device).expand_as(scores)
        out = []
        for s, b, lab in zip(scores.split([len(p) for p in proposals]),
                             boxes.split([len(p) for p in proposals]),
                             labels.split([len(p) for p in proposals]), strict=True):
            out.append(select_detections(clip_boxes_to_image(b.reshape(-1, 4), image_size),
                                         s.reshape(-1), lab.reshape(-1),
                                         score_thresh=self.cfg.score_thresh,
                                         nms_iou=self.cfg.nms_iou,
                                         limit=self.cfg.detections_per_image))
        return out


def select_detections(boxes: Tensor, scores: Tensor, labels: Tensor, *, score_thresh: float,
                      nms_iou: float, limit: int) -> dict[str, Tensor]:
    """Score threshold, drop empty boxes, per-class NMS, keep the `limit` best."""
    keep = torch.nonzero(scores > score_thresh).flatten()
    keep = keep[remove_small_boxes(boxes[keep], 1e-2)]
    keep = keep[batched_nms(boxes[keep], scores[keep], labels[keep], nms_iou)[:limit]]
    return {"boxes": boxes[keep], "scores": scores[keep], "labels": labels[keep]}
