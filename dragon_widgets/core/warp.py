"""Image warping by an affine map (the paste mode places the reference object before inverting it)."""

from __future__ import annotations

import numpy as np
from PIL import Image

from .geometry import Affine


def warp_image(image: np.ndarray, affine: Affine) -> np.ndarray:
    """Resample ``image`` so that content at p appears at affine(p) (edges replicated)."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    sx, sy = affine.inverse(xs + 0.5, ys + 0.5)
    big = Image.fromarray(image).resize((w * 4, h * 4), Image.BICUBIC)  # cheap smooth sampling
    bx = np.clip((sx * 4).astype(int), 0, w * 4 - 1)
    by = np.clip((sy * 4).astype(int), 0, h * 4 - 1)
    return np.asarray(big)[by, bx]
