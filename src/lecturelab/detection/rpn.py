"""Region proposal network: objectness for every anchor, keep the top K (lecture 4).

Ren et al. 2015, "Faster R-CNN", Sec. 3.1: a 3x3 conv slides over the feature map, and two 1x1
convs give for each of its k anchors an objectness score and 4 box deltas (Fig. 3). Training
(Sec. 3.1.2-3.1.3): anchors labelled by IoU (0.7 / 0.3, plus each object's best anchors), 256
sampled per image with up to half positives, loss = BCE + smooth L1 on the positives' deltas.
Proposals: the top-scoring anchors per level, decoded, clipped to the image, small boxes dropped,
NMS at IoU 0.7, the best `post_nms_top_n` kept. As torchvision (and departing from the paper's
two-class softmax): one sigmoid logit per anchor, smooth L1 with beta = 1/9, normalised by the
number of sampled anchors, and NMS per pyramid level.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import batched_nms, box_iou, clip_boxes_to_image, remove_small_boxes

from lecturelab.detection.anchors import AnchorGenerator
from lecturelab.detection.box_coder import BoxCoder
from lecturelab.detection.matcher import BETWEEN, Matcher
from lecturelab.detection.sampler import sample_balanced


@dataclass(frozen=True)
class RPNConfig:
    fg_iou: float = 0.7  # IoU at or above which an anchor is an object
    bg_iou: float = 0.3  # IoU below which it is background (in between: ignored)
    batch_size_per_image: int = 256  # anchors sampled per image for the loss
    positive_fraction: float = 0.5  # at most this share of them positive
    pre_nms_top_n: int = 2000  # best anchors per level kept before NMS, training
    post_nms_top_n: int = 2000  # proposals per image after NMS, training
    pre_nms_top_n_test: int = 1000  # the same at inference
    post_nms_top_n_test: int = 1000
    nms_iou: float = 0.7  # NMS threshold between proposals
    min_size: float = 1e-3  # proposals narrower or lower than this (pixels) are dropped


def flatten_dense(x: Tensor, channels: int) -> Tensor:
    """A head's (B, A*C, H, W) map -> (B, H*W*A, C), the anchors' order."""
    b, _, h, w = x.shape
    x = x.view(b, -1, channels, h, w).permute(0, 3, 4, 1, 2)  # (B, H, W, A, C)
    return x.reshape(b, -1, channels)


@dataclass
class DenseOutput:
    """A dense head's predictions for every anchor of a batch."""

    logits: Tensor  # (B, N, C): objectness (C = 1) or class scores
    deltas: Tensor  # (B, N, 4)
    anchors: Tensor  # (N, 4) xyxy
    level_sizes: list[int]  # anchors per level, summing to N


class RPNHead(nn.Module):
    """3x3 conv + ReLU, then 1x1 convs to A objectness logits and 4A deltas, on every level."""

    def __init__(self, channels: int, num_anchors: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, padding=1)
        self.objectness = nn.Conv2d(channels, num_anchors, 1)
        self.deltas = nn.Conv2d(channels, 4 * num_anchors, 1)
        for layer in (self.conv, self.objectness, self.deltas):
            nn.init.normal_(layer.weight, std=0.01)
            nn.init.zeros_(layer.bias)

    def forward(self, features: list[Tensor]) -> tuple[Tensor, Tensor]:
        logits, deltas = [], []
        for x in features:
            x = F.relu(self.conv(x))
            logits.append(flatten_dense(self.objectness(x), 1))
            deltas.append(flatten_dense(self.deltas(x), 4))
        return torch.cat(logits, 1), torch.cat(deltas, 1)  # (B, N, 1), (B, N, 4)


def padded(values: Sequence[Tensor], fill: float) -> Tensor:
    """Per-image (G_b, ...) tensors stacked into (B, max(G_b, 1), ...), padded with `fill`."""
    most = max(max((len(v) for v in values), default=0), 1)
    out = values[0].new_full((len(values), most, *values[0].shape[1:]), fill)
    for i, v in enumerate(values):
        out[i, :len(v)] = v
    return out


def match_batch(anchors: Tensor, boxes: Sequence[Tensor], matcher: Matcher) -> Tensor:
    """Per image, the index of each anchor's ground truth among its (G_b, 4) `boxes` (G_b may
    be 0), or BELOW_LOW / BETWEEN: (B, N), from one IoU matrix for all images' objects."""
    counts = torch.tensor([len(b) for b in boxes])
    if int(counts.sum()) == 0:
        return matcher(anchors.new_zeros(len(boxes), 0, len(anchors)))
    iou = box_iou(torch.cat(list(boxes)), anchors)  # (sum_b G_b, N)
    image = torch.repeat_interleave(torch.arange(len(boxes)), counts)
    row = torch.arange(len(iou)) - torch.repeat_interleave(counts.cumsum(0) - counts, counts)
    batch = iou.new_full((len(boxes), int(counts.max()), len(anchors)), -1.0)
    batch[image.to(iou.device), row.to(iou.device)] = iou  # (B, G_max, N), -1 in the padding
    return matcher(batch)


class RegionProposalNetwork(nn.Module):
    """The first stage of Faster R-CNN; `forward` scores anchors, `propose` and `loss` use them."""

    def __init__(self, anchor_generator: AnchorGenerator, channels: int,
                 cfg: RPNConfig = RPNConfig()) -> None:
        super().__init__()
        self.anchor_generator, self.cfg = anchor_generator, cfg
        self.head = RPNHead(channels, anchor_generator.num_anchors_per_location)
        self.coder = BoxCoder((1.0, 1.0, 1.0, 1.0))
        self.matcher = Matcher(cfg.fg_iou, cfg.bg_iou, allow_low_quality_matches=True)

    def forward(self, features: list[Tensor]) -> DenseOutput:
        logits, deltas = self.head(features)
        sizes = [tuple(f.shape[-2:]) for f in features]
        anchors = self.anchor_generator(sizes, features[0].device)
        level_sizes = [h * w * self.anchor_generator.num_anchors_per_location for h, w in sizes]
        return DenseOutput(logits, deltas, anchors, level_sizes)

    @torch.no_grad()
    def propose(self, out: DenseOutput, image_size: tuple[int, int], *, training: bool
                ) -> list[Tensor]:
        """Per image, the (P, 4) proposals in decreasing objectness (detached)."""
        cfg = self.cfg
        pre_n = cfg.pre_nms_top_n if training else cfg.pre_nms_top_n_test
        post_n = cfg.post_nms_top_n if training else cfg.post_nms_top_n_test
        scores = out.logits[..., 0]  # (B, N)
        keep, levels, start = [], [], 0
        for i, n in enumerate(out.level_sizes):  # top pre_n per level, all images at once
            top = scores[:, start:start + n].topk(min(pre_n, n), dim=1).indices + start
            keep.append(top)
            levels.append(torch.full_like(top[0], i))
            start += n
        keep, levels = torch.cat(keep, 1), torch.cat(levels)  # (B, K), (K,)
        proposals = []
        for b in range(len(scores)):
            boxes = self.coder.decode(out.deltas[b, keep[b]], out.anchors[keep[b]])
            boxes = clip_boxes_to_image(boxes, image_size)
            score, level = scores[b, keep[b]], levels
            big = remove_small_boxes(boxes, cfg.min_size)
            boxes, score, level = boxes[big], score[big], level[big]
            kept = batched_nms(boxes, score, level, cfg.nms_iou)  # decreasing score
            proposals.append(boxes[kept[:post_n]])
        return proposals

    def loss(self, out: DenseOutput, targets: list[dict[str, Tensor]]) -> dict[str, Tensor]:
        """Objectness BCE and smooth-L1 box loss over 256 sampled anchors per image."""
        sampled, labels, box_targets, positives = [], [], [], []
        offset = 0
        all_matches = match_batch(out.anchors, [t["boxes"] for t in targets], self.matcher)
        for target, matches in zip(targets, all_matches, strict=True):
            label = (matches >= 0).long()
            label[matches == BETWEEN] = -1
            pos, neg = sample_balanced(label, batch_size=self.cfg.batch_size_per_image,
                                       positive_fraction=self.cfg.positive_fraction)
            sampled.append(torch.cat([pos, neg]) + offset)
            labels.append(torch.cat([torch.ones_like(pos), torch.zeros_like(neg)]))
            positives.append(pos + offset)
            if len(pos):
                box_targets.append(self.coder.encode(target["boxes"][matches[pos]],
                                                     out.anchors[pos]))
            offset += len(out.anchors)
        sampled, positives = torch.cat(sampled), torch.cat(positives)
        logits = out.logits.reshape(-1)  # (B*N,)
        deltas = out.deltas.reshape(-1, 4)  # (B*N, 4)
        objectness = F.binary_cross_entropy_with_logits(logits[sampled],
                                                        torch.cat(labels).float())
        box = deltas.sum() * 0.0
        if len(positives):
            box = F.smooth_l1_loss(deltas[positives], torch.cat(box_targets), beta=1 / 9,
                                   reduction="sum") / max(len(sampled), 1)
        return {"rpn_objectness": objectness, "rpn_box": box}
