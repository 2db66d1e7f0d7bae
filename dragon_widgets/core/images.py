"""Input conversion: images and masks from PIL / numpy into checked uint8 RGB and bool arrays."""

from __future__ import annotations

import math
import warnings

import numpy as np
from PIL import Image, ImageOps

#: Inputs with a side above this are accepted but warned about (the edit runs at the working size).
HUGE_SIDE = 4096


def to_rgb_array(image, name: str = "image", min_side: int = 8) -> np.ndarray:
    """PIL image or array → uint8 (H, W, 3). Grayscale, RGBA (over white), 16-bit and float are converted; EXIF
    orientation is applied. Images with a side below ``min_side`` are refused (the engine needs 8 pixels)."""
    if isinstance(image, Image.Image):
        im = ImageOps.exif_transpose(image)  # phone photos: pixels as the camera stored them, shown rotated
        if im.mode in ("I;16", "I;16B", "I;16L", "I"):
            arr = np.asarray(im, dtype=np.float64)
            arr = arr / (65535.0 if arr.max() > 255 else 255.0)
            return _finish(arr, name, min_side)
        if im.mode in ("RGBA", "LA", "P", "PA"):
            im = im.convert("RGBA")
            bg = Image.new("RGBA", im.size, (255, 255, 255, 255))
            im = Image.alpha_composite(bg, im)
        return _finish(np.asarray(im.convert("RGB")), name, min_side)
    if isinstance(image, np.ndarray):
        return _finish(image, name, min_side)
    raise TypeError(f"{name} must be a PIL.Image or a numpy array (H, W[, C]), got {type(image).__name__}")


def _finish(arr: np.ndarray, name: str, min_side: int = 8) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    if arr.ndim != 3 or arr.shape[2] not in (3, 4):
        raise ValueError(f"{name} must have shape (H, W), (H, W, 3) or (H, W, 4), got {arr.shape}")
    if arr.shape[0] < min_side or arr.shape[1] < min_side:
        raise ValueError(f"{name} is too small ({arr.shape[1]}×{arr.shape[0]} px); at least {min_side}×{min_side} is needed")
    if arr.dtype == np.uint8:
        out = arr.astype(np.float64) / 255.0
    elif arr.dtype == np.uint16:
        out = arr.astype(np.float64) / 65535.0
    elif arr.dtype == bool:
        out = arr.astype(np.float64)
    elif np.issubdtype(arr.dtype, np.floating):
        if not np.isfinite(arr).all():
            raise ValueError(f"{name} contains NaN or infinite values")
        out = arr.astype(np.float64)
        if out.max() > 1.0 + 1e-6:  # assume 0..255 floats
            out = out / 255.0
    elif np.issubdtype(arr.dtype, np.integer):
        out = arr.astype(np.float64) / (65535.0 if arr.max() > 255 else 255.0)
    else:
        raise TypeError(f"{name} has unsupported dtype {arr.dtype}")
    if out.shape[2] == 4:  # composite over white
        a = out[..., 3:4]
        out = out[..., :3] * a + (1 - a)
    return (np.clip(out, 0, 1) * 255 + 0.5).astype(np.uint8)


def warn_if_huge(size: tuple[int, int], work: tuple[int, int], name: str = "image") -> None:
    if max(size) > HUGE_SIDE:
        warnings.warn(f"{name} is {size[0]}×{size[1]} px; the edit runs at {work[0]}×{work[1]} and the result is "
                      f"resized back, so fine detail is lost. Downscale the image first to save memory.",
                      stacklevel=3)


def to_mask(mask, size: tuple[int, int], name: str = "mask", allow_empty: bool = False,
            allow_full: bool = False) -> np.ndarray:
    """bool array / 'L' or '1' PIL image / numeric array of the image's size → bool (H, W), checked."""
    if isinstance(mask, Image.Image):
        arr = np.asarray(mask.convert("L")) >= 128
    elif isinstance(mask, np.ndarray):
        arr = mask
        if arr.ndim == 3 and arr.shape[2] in (1, 3, 4):
            arr = arr[..., 0]
        if arr.dtype == bool:
            pass
        elif np.issubdtype(arr.dtype, np.number):
            thr = 127.5 if arr.max() > 1 else 0.5
            arr = arr >= thr
        else:
            raise TypeError(f"{name} must be a bool/numeric array or a PIL image, got dtype {arr.dtype}")
    else:
        raise TypeError(f"{name} must be a bool numpy array (H, W) or an 'L' PIL image, got {type(mask).__name__}")
    w, h = size
    if arr.shape != (h, w):
        raise ValueError(f"{name} must have the image's size (H, W) = ({h}, {w}), got {tuple(arr.shape)}")
    n = int(arr.sum())
    if n == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: mark at least one pixel")
    if n == arr.size and not allow_full:
        raise ValueError(f"{name} covers the whole image: leave some background unmasked")
    return arr.astype(bool)


def working_size(size: tuple[int, int], resolution: int, multiple: int) -> tuple[int, int]:
    """(W, H) with area ≈ resolution², aspect kept, each side a multiple of ``multiple``."""
    w, h = size
    s = resolution / math.sqrt(w * h)
    rw = max(multiple, int(round(w * s / multiple)) * multiple)
    rh = max(multiple, int(round(h * s / multiple)) * multiple)
    return rw, rh


def resize_rgb(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (arr.shape[1], arr.shape[0]) == tuple(size):
        return arr
    return np.asarray(Image.fromarray(arr).resize(size, Image.LANCZOS))


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average resize, then threshold at 0.5 (keeps thin strokes better than nearest)."""
    if (mask.shape[1], mask.shape[0]) == tuple(size):
        return mask.copy()
    im = Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.BOX)
    return np.asarray(im) >= 128
