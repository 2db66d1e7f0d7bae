"""Live paste preview: the reference object, moved and scaled, blended over the background."""

from __future__ import annotations

import numpy as np

from ..core.geometry import paste_placement
from ..core.images import resize_rgb, to_rgb_array
from ..core.warp import warp_image


def paste_preview(
    background: np.ndarray,
    reference: np.ndarray,
    reference_mask: np.ndarray,
    offset: tuple[float, float],
    scale: float,
    alpha: float = 0.6,
) -> np.ndarray:
    """uint8 (H, W, 3): ``background`` with the masked ``reference`` object pasted semi-transparently.

    The reference is resized to the background, and the object is placed by the engine's own paste geometry
    (:func:`dragon_widgets.core.geometry.paste_placement`, scaled about its box centre, then moved by
    ``offset`` pixels) and warped by :func:`dragon_widgets.core.warp.warp_image`, as ``dw.Paste`` does.
    """
    h, w = background.shape[:2]
    out = background.copy()
    if not np.asarray(reference_mask).any() or scale <= 0:
        return out
    ref = resize_rgb(to_rgb_array(reference, "reference"), (w, h))
    placed = paste_placement(np.asarray(reference_mask, bool), (w, h), (float(offset[0]), float(offset[1])), float(scale))
    hit = placed.target
    src = warp_image(ref, placed.affine)
    out[hit] = (alpha * src[hit] + (1 - alpha) * background[hit]).astype(np.uint8)
    return out
