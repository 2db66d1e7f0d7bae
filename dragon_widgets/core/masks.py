"""Bool-mask morphology on pixel grids (torch-free): square dilation and its erosion.

The engine's in-line metrics, the benchmark's segmentation and scoring, and the baseline all grow masks with
:func:`dilate`; a radius ``r`` is the (2r+1)×(2r+1) square neighbourhood, i.e. ``r`` steps of the 8-connected 3×3
element. Bounding boxes and box centres live in :mod:`.geometry` (``bbox``, ``mask_center``).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def _as_mask(mask: Any, name: str) -> np.ndarray:
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"{name} must be 2-D (H, W), got shape {m.shape}")
    return m


def _radius(radius: Any) -> int:
    r = int(radius)
    if r < 0:
        raise ValueError(f"radius must be >= 0, got {radius}")
    return r


def dilate(mask: Any, radius: int = 1) -> np.ndarray:
    """``mask`` (bool (H, W)) grown by ``radius`` pixels: a pixel is set when any pixel of the (2r+1)² square around
    it is (outside the image counts as unset). A new array; ``radius`` 0 returns a copy."""
    m = _as_mask(mask, "mask")
    r = _radius(radius)
    if r == 0 or not m.any():
        return m.copy()
    h, w = m.shape
    # window sums from an integral image: O(H·W) whatever the radius
    c = np.zeros((h + 1, w + 1), np.int64)
    c[1:, 1:] = m.cumsum(0, dtype=np.int64).cumsum(1)
    y0 = np.clip(np.arange(h) - r, 0, h)
    y1 = np.clip(np.arange(h) + r + 1, 0, h)
    x0 = np.clip(np.arange(w) - r, 0, w)
    x1 = np.clip(np.arange(w) + r + 1, 0, w)
    total = c[y1][:, x1] - c[y0][:, x1] - c[y1][:, x0] + c[y0][:, x0]
    return total > 0


def erode(mask: Any, radius: int = 1) -> np.ndarray:
    """The dual of :func:`dilate`: pixels whose whole (2r+1)² square is set. Outside the image counts as set, so
    the image border does not eat into a mask that touches it."""
    m = _as_mask(mask, "mask")
    return ~dilate(~m, radius)
