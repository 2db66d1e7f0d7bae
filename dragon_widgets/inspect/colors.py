"""Colour mapping for panels that draw pixels themselves (widgets): values → uint8 RGB."""

from __future__ import annotations

import numpy as np

from ._arrays import upsample_nearest

# Fixed colours per energy term, shared by the static figures and the widgets.
TERM_COLORS = {"edit": "#d62728", "content": "#1f77b4", "contrast": "#9467bd", "inpaint": "#2ca02c"}
MASK_COLORS = {"edit": (255, 255, 0), "content": (0, 200, 255), "sde": (255, 0, 255)}


def term_color(term: str, k: int = 0) -> str:
    """Hex colour of an energy term (a cycle colour for unknown names)."""
    cycle = ["#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    return TERM_COLORS.get(term, cycle[k % len(cycle)])


def colorize(values: np.ndarray, cmap: str = "viridis", vmin: float | None = None,
             vmax: float | None = None) -> np.ndarray:
    """uint8 (h, w, 3) colours of a 2-D array through a matplotlib colormap (NaN → black)."""
    import matplotlib

    v = np.asarray(values, dtype=np.float64)
    lo = np.nanmin(v) if vmin is None else vmin
    hi = np.nanmax(v) if vmax is None else vmax
    span = hi - lo if np.isfinite(hi - lo) and hi > lo else 1.0
    norm = np.clip((v - lo) / span, 0.0, 1.0)
    rgb = matplotlib.colormaps[cmap](np.nan_to_num(norm))[..., :3]
    rgb[np.isnan(v)] = 0.0
    return (rgb * 255 + 0.5).astype(np.uint8)


def blend(image: np.ndarray, heat: np.ndarray, alpha: float = 0.6) -> np.ndarray:
    """``heat`` (h, w, 3) resized to ``image`` (H, W, 3) and alpha-blended over it, uint8."""
    img = np.asarray(image, dtype=np.float32)
    hm = upsample_nearest(np.asarray(heat, dtype=np.float32), (img.shape[1], img.shape[0]))
    return np.clip(img * (1 - alpha) + hm * alpha, 0, 255).astype(np.uint8)


def paint_mask_outline(image: np.ndarray, outline: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """A copy of ``image`` with the pixels of a bool ``outline`` (same H, W) set to ``color``."""
    out = np.array(image, dtype=np.uint8, copy=True)
    out[np.asarray(outline, dtype=bool)] = color
    return out
