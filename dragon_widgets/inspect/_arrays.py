"""Small array helpers shared by the inspection computations (numpy in, numpy out)."""

from __future__ import annotations

from typing import Any

import numpy as np

Point = tuple[float, float]


def as_numpy(x: Any, name: str = "array") -> np.ndarray:
    """A float32 numpy copy of a numpy array or torch tensor (any dtype or device)."""
    if hasattr(x, "detach"):
        x = x.detach().float().cpu().numpy()
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{name} must be a numpy array or torch tensor, got {type(x).__name__}")
    return np.asarray(x, dtype=np.float32)


def as_feature_map(x: Any, name: str = "features") -> np.ndarray:
    """A (C, h, w) float32 feature map; a leading batch axis of size 1 is dropped."""
    arr = as_numpy(x, name)
    if arr.ndim == 4 and arr.shape[0] == 1:
        arr = arr[0]
    if arr.ndim != 3:
        raise ValueError(f"{name} must have shape (C, h, w), got {tuple(arr.shape)}")
    return arr


def format_point(point: Point) -> str:
    """``(x, y)`` as figures and panels print it: whole numbers as they are, others with one decimal, so a query at
    (49.81, 12.91) reads (49.8, 12.9) everywhere instead of (50, 13) in one place and (49, 12) in another."""
    return "(" + ", ".join(f"{float(v):.0f}" if float(v).is_integer() else f"{float(v):.1f}" for v in point[:2]) + ")"


def to_cell(point: Point, image_size: tuple[int, int], grid: tuple[int, int], name: str = "point") -> tuple[int, int]:
    """The grid cell (col, row) holding pixel ``point`` (x, y) of an image of ``image_size`` (W, H).

    ``grid`` is (w, h), the feature map's width and height.
    """
    W, H = image_size
    w, h = grid
    x, y = float(point[0]), float(point[1])
    if not (0 <= x < W and 0 <= y < H):
        raise ValueError(f"{name} {tuple(point)} lies outside the image of size {W}x{H}")
    return min(int(x * w / W), w - 1), min(int(y * h / H), h - 1)


def to_pixel(cell: tuple[int, int], grid: tuple[int, int], image_size: tuple[int, int]) -> Point:
    """The pixel (x, y) at the centre of grid ``cell`` (col, row)."""
    W, H = image_size
    w, h = grid
    return (cell[0] + 0.5) * W / w, (cell[1] + 0.5) * H / h


def upsample_nearest(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Nearest-neighbour resize of a (h, w[, c]) array to ``size`` (W, H)."""
    W, H = size
    h, w = arr.shape[:2]
    rows = np.minimum((np.arange(H) * h) // H, h - 1)
    cols = np.minimum((np.arange(W) * w) // W, w - 1)
    return arr[rows][:, cols]


def downsample_mask(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """A bool (h, w) mask: a cell is set when any pixel of the (H, W) ``mask`` inside it is set."""
    mask = np.asarray(mask, dtype=bool)
    w, h = grid
    H, W = mask.shape
    if H % h or W % w:
        return upsample_nearest(mask, (w, h))
    return mask.reshape(h, H // h, w, W // w).any(axis=(1, 3))


def mask_outline(mask: np.ndarray) -> np.ndarray:
    """The boundary pixels of a bool mask (set pixels with an unset 4-neighbour or on the border)."""
    m = np.asarray(mask, dtype=bool)
    p = np.pad(m, 1, constant_values=False)
    inner = p[:-2, 1:-1] & p[2:, 1:-1] & p[1:-1, :-2] & p[1:-1, 2:]
    return m & ~inner
