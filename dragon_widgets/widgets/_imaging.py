"""Image conversions used by the widgets: PIL/array in, uint8 arrays and PNG/JPEG bytes out."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image


def to_rgb_array(image: Any, name: str = "image") -> np.ndarray:
    """Coerce a PIL image or array (H, W[, C]) into a uint8 RGB array (H, W, 3).

    Grayscale and RGBA are converted; float arrays must be in [0, 1]; 16-bit arrays are scaled.
    Raises ``TypeError``/``ValueError`` naming ``name`` for anything else.
    """
    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"), dtype=np.uint8).copy()
    if not isinstance(image, np.ndarray):
        raise TypeError(f"{name} must be a PIL image or a numpy array (H, W, 3), got {type(image).__name__}")
    arr = image
    if arr.ndim == 2:
        arr = arr[:, :, None]
    if arr.ndim != 3 or arr.shape[2] not in (1, 3, 4) or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"{name} must have shape (H, W), (H, W, 3) or (H, W, 4), got {image.shape}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} contains NaN or infinite values")
        arr = (np.clip(arr, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)
    elif arr.dtype == np.uint16:
        arr = (arr // 257).astype(np.uint8)
    elif arr.dtype != np.uint8:
        if arr.min() < 0 or arr.max() > 255:
            raise ValueError(f"{name} of dtype {arr.dtype} must hold values in 0..255")
        arr = arr.astype(np.uint8)
    if arr.shape[2] == 1:
        arr = np.repeat(arr, 3, axis=2)
    elif arr.shape[2] == 4:
        arr = arr[:, :, :3]
    return np.ascontiguousarray(arr)


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
