"""Handle tracks: where each drag handle's original feature is found in the edited latent at each step."""

from __future__ import annotations

from typing import Any

import numpy as np

from .correspondence import best_match, query_vector, similarity_to_vector
from ._arrays import as_feature_map, to_pixel


def handle_tracks(trace: Any, layer: str | None = None) -> tuple[list[int], np.ndarray]:
    """For every step with features: the best match of each handle's reference feature in the current map.

    Returns (indices into ``trace.steps``, float32 array (n_steps, n_points, 2) of (x, y) pixels).
    ``layer`` defaults to the finest guidance layer.
    """
    if not trace.points:
        raise ValueError("trace has no drag points to track")
    ks = [k for k, s in enumerate(trace.steps) if s.features]
    if not ks:
        raise ValueError("trace has no recorded features; edit with record=True or record={'features', ...}")
    if layer is None:
        first = trace.steps[ks[0]].features
        layer = max(first, key=lambda name: first[name]["current"].shape[-1] * first[name]["current"].shape[-2])
    size = tuple(trace.size)
    out = np.zeros((len(ks), len(trace.points), 2), np.float32)
    for n, k in enumerate(ks):
        pair = trace.steps[k].features[layer]
        cur = as_feature_map(pair["current"], "current")
        for p, (handle, _target) in enumerate(trace.points):
            sim = similarity_to_vector(query_vector(pair["reference"], handle, size), cur)
            out[n, p] = to_pixel(best_match(sim), (cur.shape[2], cur.shape[1]), size)
    return ks, out
