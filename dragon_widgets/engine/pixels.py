"""Pixels ↔ VAE tensors: the one conversion between uint8 images and the [-1, 1] tensors a VAE encodes and
decodes (the model families and the benchmark's baseline call it around their VAE calls)."""

from __future__ import annotations

import numpy as np
import torch


def pixels_to_tensor(image: np.ndarray, device=None) -> torch.Tensor:
    """A uint8 (H, W, 3) image as a float32 (1, 3, H, W) tensor in [-1, 1] on ``device``."""
    x = torch.from_numpy(np.ascontiguousarray(image).copy()).to(device, torch.float32)
    return x.permute(2, 0, 1)[None] / 127.5 - 1


def tensor_to_pixels(x: torch.Tensor) -> np.ndarray:
    """The first image of a (B, 3, H, W) VAE output in [-1, 1] (any dtype, any device) as uint8 (H, W, 3),
    clamped and rounded to the nearest grey level."""
    return ((x[0].float().clamp(-1, 1) + 1) * 127.5).round().byte().permute(1, 2, 0).cpu().numpy()
