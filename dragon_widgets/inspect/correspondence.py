"""Feature correspondence: cosine similarity of one query pixel against every position of another map.

This is the quantity the guidance energies are built on (cosine over channels, per pixel). Feature maps
are (C, h, w); points are (x, y) pixels of the image the map was computed from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Hashable

import numpy as np

from ._arrays import Point, as_feature_map, to_cell, to_pixel

#: A similarity map whose best value exceeds its median by less than this is *flat*: nearly every position matches
#: the query about as well as the best one, so the best match (its argmax) says nothing. At high noise the edited
#: branch's features are mostly the shared noise, and the finer guidance layer's maps are flat.
FLAT_CONTRAST = 0.05


@dataclass(frozen=True)
class Correspondence:
    """Where a query point of image A lands in image B for one feature map."""

    similarity: np.ndarray  # float32 (h, w) cosine similarity over B's grid, in [-1, 1]
    query_cell: tuple[int, int]  # (col, row) of the query in A's grid
    match_cell: tuple[int, int]  # (col, row) of the best match in B's grid
    match: Point  # best match as (x, y) pixels of image B (cell centre)
    score: float  # similarity at the best match

    @property
    def contrast(self) -> float:
        """How far the best match stands out: its similarity minus the map's median."""
        return float(self.score - np.median(self.similarity))

    @property
    def flat(self) -> bool:
        """True when the map has no clear best match (:data:`FLAT_CONTRAST`)."""
        return self.contrast < FLAT_CONTRAST


def query_vector(features: Any, point: Point, image_size: tuple[int, int]) -> np.ndarray:
    """The (C,) feature vector at pixel ``point`` of an image of ``image_size`` (W, H)."""
    f = as_feature_map(features, "features")
    col, row = to_cell(point, image_size, (f.shape[2], f.shape[1]))
    return f[:, row, col]


def similarity_to_vector(vector: np.ndarray, features: Any) -> np.ndarray:
    """Cosine similarity (h, w) between a (C,) vector and every position of a (C, h, w) map."""
    f = as_feature_map(features, "features")
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if v.shape[0] != f.shape[0]:
        raise ValueError(f"vector has {v.shape[0]} channels but features have {f.shape[0]}")
    flat = f.reshape(f.shape[0], -1)
    num = v @ flat
    den = np.linalg.norm(v) * np.linalg.norm(flat, axis=0)
    sim = num / np.maximum(den, 1e-8)
    return np.clip(sim, -1.0, 1.0).reshape(f.shape[1:]).astype(np.float32)


def best_match(similarity: np.ndarray) -> tuple[int, int]:
    """The (col, row) of the highest similarity (first one in raster order on ties)."""
    sim = np.asarray(similarity)
    if sim.ndim != 2:
        raise ValueError(f"similarity must be 2-D (h, w), got shape {sim.shape}")
    row, col = np.unravel_index(int(np.argmax(sim)), sim.shape)
    return int(col), int(row)


def correspond(features_a: Any, features_b: Any, point: Point, size_a: tuple[int, int],
               size_b: tuple[int, int] | None = None) -> Correspondence:
    """Similarity of A's feature at ``point`` against all of B, with B's best match.

    ``size_a``/``size_b`` are the (W, H) pixel sizes of images A and B (B defaults to A's).
    """
    size_b = size_a if size_b is None else size_b
    fa = as_feature_map(features_a, "features_a")
    fb = as_feature_map(features_b, "features_b")
    if fa.shape[0] != fb.shape[0]:
        raise ValueError(f"features_a has {fa.shape[0]} channels but features_b has {fb.shape[0]}")
    qcell = to_cell(point, size_a, (fa.shape[2], fa.shape[1]))
    sim = similarity_to_vector(fa[:, qcell[1], qcell[0]], fb)
    mcell = best_match(sim)
    return Correspondence(sim, qcell, mcell, to_pixel(mcell, (fb.shape[2], fb.shape[1]), size_b),
                          float(sim[mcell[1], mcell[0]]))


def correspondence_grid(features_a: Mapping[Hashable, Any], features_b: Mapping[Hashable, Any], point: Point,
                        size_a: tuple[int, int], size_b: tuple[int, int] | None = None,
                        keys: list[Hashable] | None = None) -> dict[Hashable, Correspondence]:
    """:func:`correspond` for every key (e.g. ``(layer, timestep)``) present in both feature dicts."""
    if keys is None:
        keys = [k for k in features_a if k in features_b]
    missing = [k for k in keys if k not in features_a or k not in features_b]
    if missing:
        raise KeyError(f"keys not in both feature dicts: {missing}")
    return {k: correspond(features_a[k], features_b[k], point, size_a, size_b) for k in keys}
