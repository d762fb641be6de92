"""The lecture's first detector: "class + box (x_c, y_c, w, h) by quadratic loss" (lecture 4).

A CNN outputs class logits and one box as (x_c, y_c, w, h), fractions of the image side, and
trains by cross-entropy on the class plus an L2 (quadratic) loss on the box. With one object a
scene this works; with several, every object is an equally right target and the L2 minimiser
is their mean, a box between the objects - why detectors classify discretised boxes (anchors)
instead. `best_match_iou` scores the one box by its IoU with the closest true box (the most
lenient reading).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torchvision.ops import box_convert, box_iou

from lecturelab.detection.training import Targets, predict_all


def box_regressor(width: int, num_classes: int, size: int) -> nn.Sequential:
    """Four stride-2 conv + BN + ReLU layers, flattened (keeping where things are), then an MLP
    to num_classes class logits and 4 box numbers."""
    layers: list[nn.Module] = []
    channels = 3
    for i in range(4):
        layers += [nn.Conv2d(channels, width * 2**i, 3, stride=2, padding=1),
                   nn.BatchNorm2d(width * 2**i), nn.ReLU()]
        channels = width * 2**i
    cells = (-(-size // 16)) ** 2  # ceil(size / 16) squared
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(channels * cells, 256), nn.ReLU(),
                         nn.Linear(256, num_classes + 4))


def decode(output: Tensor, size: int) -> tuple[Tensor, Tensor]:
    """Class logits (B, K) and xyxy boxes (B, 4) from the regressor's (B, K + 4) output, whose
    last 4 numbers are (x_c, y_c, w, h) as fractions of the image side."""
    boxes = box_convert(output[:, -4:].sigmoid() * size, "cxcywh", "xyxy")
    return output[:, :-4], boxes


def regression_loss(output: Tensor, targets: Targets, size: int, box_weight: float) -> Tensor:
    """Cross-entropy on the class plus `box_weight` x the L2 loss on (x_c, y_c, w, h) / size,
    each averaged over the image's objects (several objects: minimised by their mean)."""
    logits, box = output[:, :-4], output[:, -4:].sigmoid()
    total = output.new_zeros(())
    for i, t in enumerate(targets):
        goal = box_convert(t["boxes"], "xyxy", "cxcywh") / size  # (K, 4)
        total = total + box_weight * ((box[i] - goal) ** 2).sum(1).mean()
        total = total + F.cross_entropy(logits[i].expand(len(goal), -1), t["labels"] - 1)
    return total / len(targets)


def train_box_regressor(images: Tensor, targets: Targets, *, num_classes: int, width: int,
                        steps: int, batch_size: int, lr: float, box_weight: float, seed: int,
                        device: torch.device) -> nn.Module:
    """A `box_regressor` trained by Adam with a one-cycle schedule on random minibatches of the
    images that hold at least one object; returned in eval mode."""
    keep = [i for i, t in enumerate(targets) if len(t["labels"])]
    images, targets = images[keep], [targets[i] for i in keep]
    size = images.shape[-1]
    torch.manual_seed(seed)
    model = box_regressor(width, num_classes, size).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=steps)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        idx = torch.randint(len(images), (batch_size,), generator=generator)
        batch = [{k: v.to(device) for k, v in targets[i].items()} for i in idx.tolist()]
        loss = regression_loss(model(images[idx].to(device)), batch, size, box_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        schedule.step()
    return model.eval()


@torch.no_grad()
def regressed_boxes(model: nn.Module, images: Tensor, device: torch.device) -> Tensor:
    """The one xyxy box (N, 4) in pixels the regressor puts on each image."""
    outputs = predict_all(model, images, device=device)
    return decode(torch.stack(outputs), images.shape[-1])[1]


@torch.no_grad()
def best_match_iou(boxes: Tensor, targets: Targets) -> Tensor:
    """Per image (B,), the IoU of its one predicted box with the closest true box."""
    return torch.stack([box_iou(b[None], t["boxes"]).max() for b, t in
                        zip(boxes, targets, strict=True)])
