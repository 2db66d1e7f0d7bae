"""Live paste preview: the reference object, moved and scaled, blended over the background."""

from __future__ import annotations

import numpy as np
from PIL import Image


def paste_preview(
    background: np.ndarray,
    reference: np.ndarray,
    reference_mask: np.ndarray,
    offset: tuple[float, float],
    scale: float,
    alpha: float = 0.6,
) -> np.ndarray:
    """uint8 (H, W, 3): ``background`` with the masked ``reference`` object pasted semi-transparently.

    The object is scaled by ``scale`` about its mask centre and moved by ``offset`` pixels of the
    background, the same geometry as ``dw.Paste``. The reference is first resized to the background.
    """
    h, w = background.shape[:2]
    ref = np.asarray(Image.fromarray(reference).resize((w, h), Image.BICUBIC))
    m = np.asarray(Image.fromarray(reference_mask.astype(np.uint8) * 255).resize((w, h), Image.NEAREST)) > 127
    out = background.copy()
    if not m.any() or scale <= 0:
        return out
    ys, xs = np.nonzero(m)
    cx, cy = xs.mean() + 0.5, ys.mean() + 0.5
    gy, gx = np.mgrid[0:h, 0:w]
    sx = cx + (gx + 0.5 - offset[0] - cx) / scale
    sy = cy + (gy + 0.5 - offset[1] - cy) / scale
    ix, iy = np.floor(sx).astype(int), np.floor(sy).astype(int)
    ok = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    hit = np.zeros((h, w), bool)
    hit[ok] = m[iy[ok], ix[ok]]
    src = ref[np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)]
    out[hit] = (alpha * src[hit] + (1 - alpha) * background[hit]).astype(np.uint8)
    return out
