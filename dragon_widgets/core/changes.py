"""Where two images differ strongly, in connected regions (torch-free): the one change detector behind ShapesBench's
*invented objects* score (:mod:`dragon_widgets.bench.metrics`) and the editor's result check
(:func:`dragon_widgets.engine.metrics.measure_edit`).

A pixel *changed strongly* when its CIELAB colour moved by more than :data:`CHANGE_DE` (CIE76 ΔE); the strongly
changed pixels outside the area an edit was allowed to touch are split into 4-connected regions, and regions of at
least :func:`min_region_px` pixels count (objects made up, damaged bystanders, smears); smaller specks are the noise
of a VAE round trip.
"""

from __future__ import annotations

from typing import Any

import numpy as np

#: ΔE (CIE76) above which a pixel "changed strongly". Inverting and regenerating an untouched background moves
#: pixels by ΔE ≈ 1–6 (≈ 35 dB); an object appearing, vanishing or a faint ghost of one is ΔE ≥ 15–20.
CHANGE_DE = 15.0
#: Smallest strongly changed region counted, in px at 64×64 (scaled with the image's area): a quarter of the
#: smallest object ShapesBench draws (≈ 28 px), larger than the specks of VAE noise.
MIN_REGION_PX = 8


def as_unit_rgb(img: Any) -> np.ndarray:
    """(H, W, 3) float32 in [0, 1] from uint8 / float arrays or a PIL image."""
    a = np.asarray(img)
    if a.dtype == np.uint8:
        return a[..., :3].astype(np.float32) / 255.0
    return np.clip(a[..., :3].astype(np.float32), 0.0, 1.0)


def rgb_to_lab(rgb: Any) -> np.ndarray:
    """sRGB in [0, 1] (any shape (..., 3)) → CIELAB (D65)."""
    c = np.asarray(rgb, np.float32)
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]], np.float32)
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883], np.float32)
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def delta_e(a: Any, b: Any) -> np.ndarray:
    """CIE76 ΔE between sRGB colours/images ``a`` and ``b`` (in [0, 1], broadcasting)."""
    return np.linalg.norm(rgb_to_lab(a) - rgb_to_lab(b), axis=-1)


def _component_pixels(mask: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, cols) of each 4-connected component of ``mask``, largest first."""
    h, w = mask.shape
    lab = np.zeros((h, w), np.int32)
    comps = []
    for y0, x0 in zip(*np.nonzero(mask)):
        if lab[y0, x0]:
            continue
        n = len(comps) + 1
        lab[y0, x0] = n
        stack, pix = [(y0, x0)], []
        while stack:
            y, x = stack.pop()
            pix.append((y, x))
            for yy, xx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= yy < h and 0 <= xx < w and mask[yy, xx] and not lab[yy, xx]:
                    lab[yy, xx] = n
                    stack.append((yy, xx))
        p = np.asarray(pix, np.int64).reshape(-1, 2)
        comps.append((p[:, 0], p[:, 1]))
    return sorted(comps, key=lambda c: -len(c[0]))


def components(mask: Any, min_px: int = 1) -> list[np.ndarray]:
    """4-connected components of a bool (H, W) mask with at least ``min_px`` pixels, largest first (bool masks)."""
    m = np.asarray(mask, bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be 2-D (H, W), got shape {m.shape}")
    out = []
    for rows, cols in _component_pixels(m):
        if len(rows) < min_px:
            break
        c = np.zeros(m.shape, bool)
        c[rows, cols] = True
        out.append(c)
    return out


def change_map(before: Any, after: Any, threshold: float = CHANGE_DE) -> np.ndarray:
    """bool (H, W): pixels whose colour moved by more than ``threshold`` ΔE from ``before`` to ``after`` (uint8 or
    float (H, W, 3) images of one size)."""
    a, b = as_unit_rgb(before), as_unit_rgb(after)
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"before and after must be (H, W, 3) images of one size, got {a.shape} and {b.shape}")
    return delta_e(b, a) > threshold


def min_region_px(size: tuple[int, int], base_px: float = MIN_REGION_PX) -> int:
    """:data:`MIN_REGION_PX` (or ``base_px``) at 64×64 scaled with the area of a (W, H) image; at least 2."""
    w, h = size
    return max(2, int(round(base_px * (w * h) / 64 ** 2)))


def changed_regions(changed: Any, allowed: Any, min_px: int) -> list[np.ndarray]:
    """Connected regions (bool masks, largest first) of ``changed`` outside ``allowed`` (both bool (H, W)) with at
    least ``min_px`` pixels."""
    c, a = np.asarray(changed, bool), np.asarray(allowed, bool)
    if c.shape != a.shape:
        raise ValueError(f"changed and allowed must have one shape, got {c.shape} and {a.shape}")
    return components(c & ~a, min_px=min_px)


def region_box(region: np.ndarray) -> list[int]:
    """[x0, y0, x1, y1] (x1, y1 exclusive) of a non-empty bool mask, in pixels."""
    ys, xs = np.nonzero(region)
    return [int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]
