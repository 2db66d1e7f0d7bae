"""Image conversions used by the widgets: PIL/array in (through the core's ``to_rgb_array``, the engine's own),
uint8 arrays and PNG/JPEG bytes out."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from ..core import images as _core


def to_rgb_array(image: Any, name: str = "image") -> np.ndarray:
    """uint8 RGB (H, W, 3) of a PIL image or array, converted as the engine converts it (EXIF orientation, alpha
    over white, 16-bit, float); any size of at least one pixel (the canvas shows what the engine would edit)."""
    return _core.to_rgb_array(image, name, min_side=1)


def to_mask_array(mask: Any, shape: tuple[int, int], name: str = "mask") -> np.ndarray:
    """Coerce a bool/0-1 array or 'L'/'1' PIL image into a bool array of ``shape`` (H, W)."""
    if isinstance(mask, Image.Image):
        mask = np.asarray(mask.convert("L")) > 127
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"{name} must be a bool numpy array or a PIL image of shape {shape}, got {type(mask).__name__}")
    if mask.ndim == 3 and mask.shape[2] == 1:
        mask = mask[:, :, 0]
    if mask.shape != tuple(shape):
        raise ValueError(f"{name} must have shape (H, W) = {tuple(shape)} to match the image, got {mask.shape}")
    if mask.dtype == np.bool_:
        return mask.copy()
    if np.issubdtype(mask.dtype, np.floating):
        return mask > 0.5
    return mask > (127 if mask.max(initial=0) > 1 else 0)


def encode(arr: np.ndarray, fmt: str = "png", quality: int = 90) -> bytes:
    """Encode a uint8 RGB array as PNG or JPEG bytes."""
    buf = io.BytesIO()
    img = Image.fromarray(arr)
    if fmt == "jpeg":
        img.save(buf, format="JPEG", quality=quality)
    else:
        img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def decode(data: bytes) -> np.ndarray:
    """Decode PNG/JPEG bytes to a uint8 RGB array."""
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.uint8).copy()


def pick_format(arr: np.ndarray) -> str:
    """PNG for small images (lossless, crisp when scaled up), JPEG above about one megapixel."""
    return "png" if arr.shape[0] * arr.shape[1] <= 1_000_000 else "jpeg"
