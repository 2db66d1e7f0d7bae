"""Peak signal-to-noise ratio of two images (torch-free), optionally over a mask: the engine's background
metric, the benchmark's scores and the inversion check all call :func:`psnr`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np


def _channels(a: np.ndarray, name: str) -> np.ndarray:
    """The colour channels of an (H, W, 3+) image."""
    if a.ndim != 3 or a.shape[-1] < 3:
        raise ValueError(f"{name} must be an (H, W, 3) image, got shape {a.shape}")
    return a[..., :3]


def _unit_float(image: Any, name: str) -> np.ndarray:
    """(H, W, 3) float64 in [0, 1]: uint8 divided by 255, floats clipped to [0, 1] (extra channels dropped)."""
    a = _channels(np.asarray(image), name)
    if a.dtype == np.uint8:
        return a.astype(np.float64) / 255.0
    if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer) or a.dtype == bool):
        raise TypeError(f"{name} must be a uint8 or float array, got dtype {a.dtype}")
    return np.clip(a.astype(np.float64), 0.0, 1.0)


def psnr(a: Any, b: Any, mask: Any = None) -> float:
    """PSNR in dB (peak: white) of images ``a`` and ``b`` (uint8 0..255 or float 0..1, (H, W, 3), one size), over
    the pixels where ``mask`` (bool (H, W)) is True, else over all of them.

    ``inf`` when those pixels are identical, ``nan`` when ``mask`` selects no pixel."""
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype == np.uint8 and b.dtype == np.uint8:  # exact in grey levels
        x, y, peak = _channels(a, "a").astype(np.float64), _channels(b, "b").astype(np.float64), 255.0
    else:
        x, y, peak = _unit_float(a, "a"), _unit_float(b, "b"), 1.0
    if x.shape != y.shape:
        raise ValueError(f"a and b must be images of one size, got shapes {x.shape} and {y.shape}")
    d = (x - y) ** 2
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != x.shape[:2]:
            raise ValueError(f"mask has shape {m.shape}, expected {x.shape[:2]}")
        if not m.any():
            return float("nan")
        d = d[m]
    mse = float(d.mean())
    return math.inf if mse == 0 else 10 * math.log10(peak ** 2 / mse)
