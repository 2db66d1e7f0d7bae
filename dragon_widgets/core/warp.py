"""Image warping by an affine map (the paste mode places the reference object before inverting it).

The map is a uniform scale about a centre plus a translation, so it separates into one resampling per axis.
Pixel ``k`` covers ``[k, k + 1)`` and output pixel ``X`` shows the source around ``affine.inverse(X + 0.5)``:

* scale 1 and whole-pixel offsets: an exact copy of the shifted pixels (no resampling at all);
* scale ≥ 1 and sub-pixel offsets: the triangle (bilinear) filter between the two nearest source pixel centres;
* scale < 1: the area (box) filter, the mean of the source interval the output pixel covers.

Every output value is a convex combination of input values (weights ≥ 0 that sum to 1), so nothing rings: the
output never leaves the input's range, and hard edges stay monotone. Beyond the image the edge pixels repeat.
"""

from __future__ import annotations

import numpy as np

from .geometry import Affine


def warp_image(image: np.ndarray, affine: Affine) -> np.ndarray:
    """Resample ``image`` (H, W) or (H, W, C) so that content at p appears at ``affine(p)``, on the same canvas.

    Integer images come back rounded to the same dtype, float images as float64. A zero offset at scale 1
    returns an exact copy, and whole-pixel offsets at scale 1 copy pixels exactly (edges replicated).
    """
    img = np.asarray(image)
    if img.ndim not in (2, 3) or img.shape[0] < 1 or img.shape[1] < 1:
        raise ValueError(f"image must be an (H, W) or (H, W, C) array, got shape {img.shape}")
    if not np.issubdtype(img.dtype, np.number) or np.issubdtype(img.dtype, np.complexfloating):
        raise ValueError(f"image must hold real numbers, got dtype {img.dtype}")
    scale = float(affine.scale)
    if not np.isfinite(scale) or scale <= 0:
        raise ValueError(f"affine.scale must be a positive finite number, got {affine.scale!r}")
    (cx, cy), (dx, dy) = affine.center, affine.offset
    if not np.all(np.isfinite([cx, cy, dx, dy])):
        raise ValueError(f"affine centre and offset must be finite, got {affine.center!r}, {affine.offset!r}")
    h, w = img.shape[:2]
    if scale == 1.0 and float(dx).is_integer() and float(dy).is_integer():
        rows = np.clip(np.arange(h) - int(dy), 0, h - 1)
        cols = np.clip(np.arange(w) - int(dx), 0, w - 1)
        return img[rows][:, cols].copy()
    ry, wy = axis_taps(h, float(cy), scale, float(dy))
    rx, wx = axis_taps(w, float(cx), scale, float(dx))
    data = img.astype(np.float64)
    out = _resample_rows(_resample_rows(data, ry, wy).swapaxes(0, 1), rx, wx).swapaxes(0, 1)
    # the weights sum to 1 up to float rounding: keep each channel exactly inside its input range
    out = np.clip(out, data.min(axis=(0, 1)), data.max(axis=(0, 1)))
    if np.issubdtype(img.dtype, np.integer):
        return np.rint(out).astype(img.dtype)
    return out


def axis_taps(n: int, center: float, scale: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """Source pixel indices and weights, each (n, taps), of the ``n`` output pixels of one axis of length ``n``
    under x ↦ center + scale·(x − center) + offset: triangle filter for scale ≥ 1, area filter below.
    Weights are ≥ 0 and each row sums to 1; indices are clipped to the axis (edges replicated)."""
    if scale >= 1.0:
        u = _source_position(np.arange(n) + 0.5, center, scale, offset) - 0.5  # in source pixel-centre units
        k0 = np.floor(u)
        f = u - k0
        idx = np.stack([k0, k0 + 1], axis=1).astype(np.int64)
        weights = np.stack([1.0 - f, f], axis=1)
    else:
        a = _source_position(np.arange(n, dtype=np.float64), center, scale, offset)  # left edge of each output pixel
        b = _source_position(np.arange(1, n + 1, dtype=np.float64), center, scale, offset)
        taps = int(np.ceil(1.0 / scale)) + 1
        idx = np.floor(a)[:, None].astype(np.int64) + np.arange(taps)[None]
        overlap = np.minimum(b[:, None], idx + 1.0) - np.maximum(a[:, None], idx.astype(np.float64))
        weights = np.clip(overlap, 0.0, None)
        weights /= weights.sum(axis=1, keepdims=True)
    return np.clip(idx, 0, n - 1), weights


def _resample_rows(data: np.ndarray, idx: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Resample along the first axis: output row i is Σ_k weights[i, k] · data[idx[i, k]]."""
    taps = data[idx]  # (n, taps, ...)
    return np.einsum("nt...,nt->n...", taps, weights)


def _source_position(x: np.ndarray, center: float, scale: float, offset: float) -> np.ndarray:
    """The inverse map on one axis (at scale 1 without the centre, so whole-pixel shifts stay exact)."""
    if scale == 1.0:
        return x - offset
    return center + (x - offset - center) / scale
