"""SimCLR's data augmentation (Chen et al. 2020, Sec. 3 and Appendix A) on whole batches.

Every image of a batch gets its own random parameters, drawn as tensors, and the batch is
transformed by a few tensor ops on its device (no per-sample loop, no workers): a random resized
crop and a horizontal flip by one `grid_sample` with a per-image affine grid, then colour jitter
(brightness, contrast, saturation, hue) with probability 0.8 and greyscale with probability 0.2.
Departures from the paper: the jitter ops run in a fixed order (the paper shuffles them); hue is
rotated in YIQ space, a linear stand-in for torchvision's HSV shift; no Gaussian blur (the paper
drops it for CIFAR-10 too). The ablations of the lecture: `crop=False`, `colour=False`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

GREY = (0.2989, 0.587, 0.114)  # luma weights of torchvision's rgb_to_grayscale (ITU-R 601)


@dataclass(frozen=True)
class SimCLRAugment:
    """The augmentation family a view is drawn from."""

    crop: bool = True  # random resized crop (area fraction in crop_scale) back to full size
    colour: bool = True  # colour jitter and random greyscale
    flip: bool = True  # horizontal flip with probability 0.5
    crop_scale: tuple[float, float] = (0.2, 1.0)  # fraction of the image area a crop keeps
    crop_ratio: tuple[float, float] = (3 / 4, 4 / 3)  # aspect ratios of a crop
    strength: float = 0.5  # colour jitter strength s: 0.8 s for b/c/s, 0.2 s for hue
    jitter_p: float = 0.8  # probability of colour jitter
    grey_p: float = 0.2  # probability of greyscale

    def __call__(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """One random view of each image of `x` (B, 3, H, W) with values in [0, 1]."""
        if x.dim() != 4 or x.shape[1] != 3:
            raise ValueError(f"SimCLR views need RGB batches (B, 3, H, W), got {tuple(x.shape)}")
        if self.crop or self.flip:
            x = crop_and_flip(x, self._affine(len(x), generator).to(x.device))
        if self.colour:
            x = self._jitter(x, generator)
        return x

    def _rand(self, n: int, low: float, high: float, generator: torch.Generator | None) -> Tensor:
        return low + (high - low) * torch.rand(n, generator=generator)

    def _affine(self, n: int, generator: torch.Generator | None) -> Tensor:
        """(n, 2, 3) affine maps from output to input coordinates in [-1, 1]."""
        scale = ratio = torch.ones(n)
        if self.crop:
            scale = self._rand(n, *self.crop_scale, generator)
            log_lo, log_hi = math.log(self.crop_ratio[0]), math.log(self.crop_ratio[1])
            ratio = self._rand(n, log_lo, log_hi, generator).exp()
        w = (scale * ratio).sqrt().clamp(max=1)  # crop width / image width
        h = (scale / ratio).sqrt().clamp(max=1)
        cx = self._rand(n, -1, 1, generator) * (1 - w)
        cy = self._rand(n, -1, 1, generator) * (1 - h)
        sign = torch.ones(n)
        if self.flip:
            sign = torch.where(torch.rand(n, generator=generator) < 0.5, -1.0, 1.0)
        zero = torch.zeros(n)
        return torch.stack([torch.stack([w * sign, zero, cx], 1),
                            torch.stack([zero, h, cy], 1)], 1)  # (n, 2, 3)

    def _jitter(self, x: Tensor, generator: torch.Generator | None) -> Tensor:
        n, s = len(x), self.strength
        factors = [self._rand(n, 1 - 0.8 * s, 1 + 0.8 * s, generator) for _ in range(3)]
        hue = self._rand(n, -0.2 * s, 0.2 * s, generator)
        apply = torch.rand(n, generator=generator) < self.jitter_p
        grey = torch.rand(n, generator=generator) < self.grey_p
        ones = torch.ones(n)
        b, c, sat = (torch.where(apply, f, ones).to(x.device) for f in factors)
        x = adjust_brightness(x, b)
        x = adjust_contrast(x, c)
        x = adjust_saturation(x, sat)
        x = rotate_hue(x, torch.where(apply, hue, 0 * hue).to(x.device))
        return torch.where(grey.to(x.device)[:, None, None, None],
                           greyscale(x).expand_as(x), x)


def crop_and_flip(x: Tensor, theta: Tensor) -> Tensor:
    """Resample each image through its (2, 3) affine map, bilinearly, to the same size."""
    grid = F.affine_grid(theta.to(x.dtype), list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection",
                         align_corners=False)


def greyscale(x: Tensor) -> Tensor:
    """(B, 1, H, W) luma of RGB images."""
    w = torch.tensor(GREY, dtype=x.dtype, device=x.device)
    return (x * w[:, None, None]).sum(dim=1, keepdim=True)


def _per_image(f: Tensor) -> Tensor:
    return f[:, None, None, None]


def adjust_brightness(x: Tensor, factor: Tensor) -> Tensor:
    """Scale every pixel of image i by factor[i], clamped to [0, 1]."""
    return (x * _per_image(factor)).clamp(0, 1)


def adjust_contrast(x: Tensor, factor: Tensor) -> Tensor:
    """Blend image i with its mean grey level by factor[i] (torchvision's definition)."""
    mean = greyscale(x).mean(dim=(1, 2, 3), keepdim=True)
    return (mean + _per_image(factor) * (x - mean)).clamp(0, 1)


def adjust_saturation(x: Tensor, factor: Tensor) -> Tensor:
    """Blend image i with its greyscale by factor[i] (torchvision's definition)."""
    grey = greyscale(x)
    return (grey + _per_image(factor) * (x - grey)).clamp(0, 1)


RGB_TO_YIQ = ((0.299, 0.587, 0.114), (0.596, -0.274, -0.322), (0.211, -0.523, 0.312))


def rotate_hue(x: Tensor, turns: Tensor) -> Tensor:
    """Rotate the chroma (I, Q) of image i by turns[i] of a full circle; luma is unchanged."""
    to_yiq = torch.tensor(RGB_TO_YIQ, dtype=x.dtype, device=x.device)
    angle = 2 * math.pi * turns.to(x.dtype)
    cos, sin, one, zero = angle.cos(), angle.sin(), torch.ones_like(angle), torch.zeros_like(angle)
    rot = torch.stack([torch.stack([one, zero, zero], 1), torch.stack([zero, cos, -sin], 1),
                       torch.stack([zero, sin, cos], 1)], 1)  # (B, 3, 3)
    mix = torch.linalg.inv(to_yiq) @ rot @ to_yiq  # (B, 3, 3): RGB -> RGB
    return torch.einsum("bij,bjhw->bihw", mix, x).clamp(0, 1)
