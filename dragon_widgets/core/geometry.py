"""Mask and point geometry on the model's grids (non-square safe: x and y are never mixed up).

Coordinates are (x, y) in pixels of the *working* image; a grid of (w, h) cells covers it, so a
pixel maps to cell (x·w/W, y·h/H).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .images import resize_mask


@dataclass(frozen=True)
class Affine:
    """p ↦ c + s·(p − c) + d: scale by ``s`` about the object centre ``c``, then translate by ``d``."""

    center: tuple[float, float]
    scale: float
    offset: tuple[float, float]

    def forward(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cx, cy = self.center
        return cx + self.scale * (x - cx) + self.offset[0], cy + self.scale * (y - cy) + self.offset[1]

    def inverse(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        cx, cy = self.center
        return cx + (x - self.offset[0] - cx) / self.scale, cy + (y - self.offset[1] - cy) / self.scale

    def on_grid(self, size: tuple[int, int], grid: tuple[int, int]) -> "Affine":
        """The same map expressed in cell units of ``grid`` for an image of ``size`` (W, H)."""
        kx, ky = grid[0] / size[0], grid[1] / size[1]
        return Affine((self.center[0] * kx, self.center[1] * ky), self.scale, (self.offset[0] * kx, self.offset[1] * ky))


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) with x1/y1 exclusive, in pixels."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def mask_center(mask: np.ndarray) -> tuple[float, float]:
    x0, y0, x1, y1 = bbox(mask)
    return (x0 + x1) / 2, (y0 + y1) / 2


def check_inside(mask: np.ndarray, affine: Affine, what: str) -> None:
    """Raise if the transformed bounding box of ``mask`` leaves the image (half a pixel of slack)."""
    h, w = mask.shape
    x0, y0, x1, y1 = bbox(mask)
    xs, ys = affine.forward(np.array([x0, x1], float), np.array([y0, y1], float))
    if xs.min() < -0.5 or ys.min() < -0.5 or xs.max() > w + 0.5 or ys.max() > h + 0.5:
        raise ValueError(
            f"{what} moves the object outside the image: its box ({x0},{y0})–({x1},{y1}) would land at "
            f"({xs.min():.0f},{ys.min():.0f})–({xs.max():.0f},{ys.max():.0f}) in a {w}×{h} image; "
            f"use a smaller offset or scale")


def warp_mask_indices(mask: np.ndarray, affine: Affine) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Forward-warp a mask by ``affine`` on its own grid.

    Returns ``(dst_mask, dst_idx, src_idx)``: the warped mask and, for every destination cell, the flat
    index of the source cell it comes from (nearest, by inverse mapping, so scaling up leaves no holes).
    """
    h, w = mask.shape
    ys, xs = np.mgrid[0:h, 0:w]
    sx, sy = affine.inverse(xs + 0.5, ys + 0.5)
    ix, iy = np.floor(sx).astype(int), np.floor(sy).astype(int)
    valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
    src_in = np.zeros_like(mask)
    src_in[valid] = mask[iy[valid], ix[valid]]
    dst_idx = np.flatnonzero(src_in)
    src_idx = (iy * w + ix).ravel()[dst_idx]
    return src_in, dst_idx, src_idx


def shift_mask(mask: np.ndarray, affine: Affine) -> np.ndarray:
    return warp_mask_indices(mask, affine)[0]


def to_grid(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """Resize a working-resolution mask to a (w, h) grid; a non-empty mask never vanishes."""
    out = resize_mask(mask, grid)
    if mask.any() and not out.any():  # a tiny stroke: keep at least its centre cell
        cx, cy = mask_center(mask)
        out[min(int(cy * grid[1] / mask.shape[0]), grid[1] - 1), min(int(cx * grid[0] / mask.shape[1]), grid[0] - 1)] = True
    return out


def point_cell(point: tuple[float, float], size: tuple[int, int], grid: tuple[int, int], radius: int = 0) -> tuple[int, int]:
    """Grid cell (col, row) of a working-pixel point, clipped so a (2r+1)² window fits (per axis)."""
    x, y = point
    cx = int(np.floor(x * grid[0] / size[0]))
    cy = int(np.floor(y * grid[1] / size[1]))
    return int(np.clip(cx, radius, grid[0] - 1 - radius)), int(np.clip(cy, radius, grid[1] - 1 - radius))


def window_indices(cell: tuple[int, int], grid: tuple[int, int], radius: int) -> np.ndarray:
    """Flat indices (raster order) of the (2r+1)² window centred on ``cell``."""
    cx, cy = cell
    ys, xs = np.mgrid[cy - radius: cy + radius + 1, cx - radius: cx + radius + 1]
    return (ys * grid[0] + xs).ravel()


@dataclass(frozen=True)
class Placement:
    """Where a pasted object lands: ``source`` (its mask at the target size), ``affine`` and ``target``."""

    source: np.ndarray
    affine: Affine
    target: np.ndarray


def paste_placement(reference_mask: np.ndarray, size: tuple[int, int], offset: tuple[float, float],
                    scale: float) -> Placement:
    """The geometry of ``dw.Paste`` in an image of ``size`` (W, H): the reference mask resized to ``size``,
    scaled by ``scale`` about its box centre and moved by ``offset`` pixels (of ``size``). The engine's plan and
    the app's live preview both call this, so they agree by construction."""
    m = resize_mask(reference_mask, size)
    affine = Affine(mask_center(m), scale, offset)
    return Placement(m, affine, shift_mask(m, affine))
