"""Image conversions used by the widgets: PIL/array/file bytes in (through :mod:`dragon_widgets.core.images`, the
normaliser the engine and the CLI use), uint8 arrays and PNG/JPEG bytes out."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from ..core import images as _core


def to_rgb_array(image: Any, name: str = "image") -> np.ndarray:
    """uint8 RGB (H, W, 3) of a PIL image or array, converted by the one normaliser the engine and the CLI use
    (:func:`dragon_widgets.core.images.to_rgb_array`: EXIF orientation, alpha over white, 16-bit, float rules,
    huge images reduced); any size of at least one pixel (the canvas shows what the engine would edit)."""
    return _core.to_rgb_array(image, name, min_side=1)


def to_mask_array(mask: Any, shape: tuple[int, int], name: str = "mask", exact: bool = False) -> np.ndarray:
    """bool (H, W) of ``shape`` from a bool / 0..1 / 0..255 array or an 'L'/'1' PIL image, by the one mask normaliser
    (:func:`dragon_widgets.core.images.to_mask`; empty and full masks allowed, same-aspect sizes resized unless
    ``exact``: then any other size is a ``ValueError`` naming ``name``, except a whole multiple of the image's — a
    mask drawn on the full-size picture the image was reduced from)."""
    h, w = shape
    if exact:
        got = ((mask.size[1], mask.size[0]) if isinstance(mask, Image.Image)
               else mask.shape[:2] if isinstance(mask, np.ndarray) and mask.ndim >= 2 else None)
        if got is not None and tuple(got) != (h, w) and not _reduced_by_whole_factor(tuple(got), (h, w)):
            raise ValueError(f"{name} must have the image's size (H, W) = ({h}, {w}), got {tuple(got)}; draw it on "
                             f"this image (or resize it yourself)")
    return _core.to_mask(mask, (w, h), name, allow_empty=True, allow_full=True)


def _reduced_by_whole_factor(big: tuple, small: tuple[int, int]) -> bool:
    """True when an image of ``big`` (H, W) reduced by a whole factor k ≥ 2 (as the normaliser reduces huge
    pictures: ceil(H / k)) has the size ``small``: a mask drawn on the full-size picture."""
    gh, gw = big
    h, w = small
    k = round(gh / max(h, 1))
    return k >= 2 and -(-gh // k) == h and -(-gw // k) == w


def encode(arr: np.ndarray, fmt: str = "png", quality: int = 90) -> bytes:
    """Encode a uint8 RGB array as PNG or JPEG bytes."""
    buf = io.BytesIO()
    img = Image.fromarray(arr)
    if fmt == "jpeg":
        img.save(buf, format="JPEG", quality=quality)
    else:
        img.save(buf, format="PNG", compress_level=1)
    return buf.getvalue()


def decode(data: bytes, name: str = "image") -> np.ndarray:
    """Decode image file bytes (PNG, JPEG, …) to a uint8 RGB array by the one normaliser
    (:func:`dragon_widgets.core.images.open_image`); a non-image or truncated file is a ``ValueError`` naming ``name``."""
    return _core.open_image(data, name, min_side=1)


def pick_format(arr: np.ndarray) -> str:
    """PNG for small images (lossless, crisp when scaled up), JPEG above about one megapixel."""
    return "png" if arr.shape[0] * arr.shape[1] <= 1_000_000 else "jpeg"
