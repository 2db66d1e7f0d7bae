"""Memory-bank attention: for a query pixel, the softmax weights over the tokens its self-attention reads.

The weights are softmax(q·kᵀ/√d) per head (the scaled-dot-product attention the layer runs).

The engine records, per bank layer and step, the projected queries ``q`` (N, C) of the edited latent and
the keys ``k`` (M, C) it attended to (the bank's tokens, or [own ‖ bank] when the mode concatenates).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import Point, as_numpy, to_cell


@dataclass(frozen=True)
class AttentionMap:
    """Attention of one query token over the key tokens."""

    weights: np.ndarray  # float32 (M,) mean over heads; sums to 1
    per_head: np.ndarray  # float32 (heads, M)
    maps: np.ndarray  # float32 (groups, h, w): weights on the token grid, one map per token group
    # (groups = 0 when the keys are a masked selection that does not tile the grid, as with the bg+fg bank)
    query_cell: tuple[int, int]  # (col, row)


def attention_weights(q: Any, k: Any, heads: int, query_index: int) -> np.ndarray:
    """softmax(q_h · k_hᵀ / √d) for one query token, per head: float32 (heads, M)."""
    qa, ka = as_numpy(q, "q"), as_numpy(k, "k")
    if qa.ndim != 2 or ka.ndim != 2 or qa.shape[1] != ka.shape[1]:
        raise ValueError(f"q must be (N, C) and k (M, C) with equal C, got {qa.shape} and {ka.shape}")
    if heads < 1 or qa.shape[1] % heads:
        raise ValueError(f"heads must divide the channel count {qa.shape[1]}, got {heads}")
    if not 0 <= query_index < qa.shape[0]:
        raise ValueError(f"query_index must be in [0, {qa.shape[0]}), got {query_index}")
    d = qa.shape[1] // heads
    qh = qa[query_index].reshape(heads, d).astype(np.float64)
    kh = ka.reshape(ka.shape[0], heads, d).transpose(1, 0, 2).astype(np.float64)
    logits = np.einsum("hd,hmd->hm", qh, kh) / np.sqrt(d)
    logits -= logits.max(axis=1, keepdims=True)
    w = np.exp(logits)
    return (w / w.sum(axis=1, keepdims=True)).astype(np.float32)


def query_attention(record: dict, point: Point, image_size: tuple[int, int]) -> AttentionMap:
    """Attention of the token under pixel ``point`` in one recorded bank layer (``step.attention[layer]``)."""
    h, w = record["grid"]
    cell = to_cell(point, image_size, (w, h))
    per_head = attention_weights(record["q"], record["k"], int(record["heads"]), cell[1] * w + cell[0])
    weights = per_head.mean(axis=0)
    M = weights.shape[0]
    maps = weights.reshape(M // (h * w), h, w) if M % (h * w) == 0 else np.zeros((0, h, w), np.float32)
    return AttentionMap(weights, per_head, maps, cell)


def group_names(n_groups: int) -> list[str]:
    """Names of the key-token groups: one group = the layer's keys (own tokens, or the bank's where the
    mode replaces K/V), two = [own ‖ bank] (concatenation, drag)."""
    if n_groups == 1:
        return ["key"]
    if n_groups == 2:
        return ["own", "bank"]
    return [f"group {g}" for g in range(n_groups)]
