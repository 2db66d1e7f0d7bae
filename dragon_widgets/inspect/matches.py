"""Match lines: image A and image B side by side, a line from A's query point to B's best match per layer.

The explorer's pair view and :func:`~dragon_widgets.inspect.plot_correspondence` both draw from
:class:`SideBySide` and :func:`match_lines`, so the widget and the static figure show the same lines.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from ._arrays import Point, upsample_nearest
from .correspondence import Correspondence

# one colour per layer, in the order the layers are listed (hex for matplotlib and canvas alike)
LAYER_COLORS = ("#00e5ff", "#ffea00", "#ff4081", "#76ff03", "#ff9100", "#b388ff")


def layer_color(k: int) -> str:
    """Hex colour of the ``k``-th listed layer in match lines."""
    return LAYER_COLORS[k % len(LAYER_COLORS)]


@dataclass(frozen=True)
class SideBySide:
    """A on the left, B scaled to A's height on the right, ``gap`` white pixels between them."""

    image: np.ndarray  # uint8 (H_a, W_a + gap + W_b·scale_b, 3)
    width_a: int
    gap: int
    scale_b: float  # pair pixels per B pixel

    @property
    def offset_b(self) -> int:
        """x of B's left edge in the pair image."""
        return self.width_a + self.gap

    def from_b(self, point: Point) -> Point:
        """A pixel (x, y) of image B → the same place in the pair image."""
        return self.offset_b + point[0] * self.scale_b, point[1] * self.scale_b

    def to_a(self, point: Point) -> Point | None:
        """A pixel of the pair image → image A's pixel, or None when it lies outside A."""
        x, y = float(point[0]), float(point[1])
        return (x, y) if 0 <= x < self.width_a and 0 <= y < self.image.shape[0] else None


def side_by_side(image_a: np.ndarray, image_b: np.ndarray, gap: int = 2) -> SideBySide:
    """The pair image of ``image_a`` and ``image_b`` (uint8 (H, W, 3) each, any sizes)."""
    a, b = np.asarray(image_a, dtype=np.uint8), np.asarray(image_b, dtype=np.uint8)
    for name, im in (("image_a", a), ("image_b", b)):
        if im.ndim != 3 or im.shape[2] != 3:
            raise ValueError(f"{name} must be an (H, W, 3) RGB array, got shape {im.shape}")
    H = a.shape[0]
    scale = H / b.shape[0]
    wb = max(1, round(b.shape[1] * scale))
    b_fit = upsample_nearest(b, (wb, H))
    pair = np.full((H, a.shape[1] + gap + wb, 3), 255, np.uint8)
    pair[:, : a.shape[1]] = a
    pair[:, a.shape[1] + gap:] = b_fit
    return SideBySide(pair, a.shape[1], gap, scale)


@dataclass(frozen=True)
class MatchLine:
    """From the query in A to the best match in B of one (layer, timestep) map, in pair-image pixels."""

    key: Hashable
    start: Point
    end: Point
    score: float
    color: str


def match_lines(pair: SideBySide, point: Point, results: Mapping[Hashable, Correspondence],
                layers: Sequence[str], timestep: int) -> list[MatchLine]:
    """One :class:`MatchLine` per listed layer at ``timestep`` (layers without a result are skipped)."""
    lines = []
    for k, layer in enumerate(layers):
        cr = results.get((layer, timestep))
        if cr is not None:
            lines.append(MatchLine((layer, timestep), (float(point[0]), float(point[1])), pair.from_b(cr.match),
                                   cr.score, layer_color(k)))
    return lines
