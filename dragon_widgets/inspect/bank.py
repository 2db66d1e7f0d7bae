"""Where the memory-bank attention goes: the share of a region's queries' attention that lands on a region of
the bank, per layer, head and step, and how concentrated the attention is.

A single query's map (:func:`query_attention`) over a thousand bank tokens looks flat even when the layer
copies the object: what matters is how much of the attention of the queries *at the edited object* lands on
the bank tokens *of the original object*, compared with the share those tokens would get under uniform
attention (their token fraction). Works on the records of ``trace.steps[k].attention``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._arrays import as_numpy, upsample_nearest


@dataclass(frozen=True)
class BankShare:
    """Attention mass on the key region, per head (mean over the queries of each query set)."""

    inside: np.ndarray  # float32 (heads,): queries in the query region
    outside: np.ndarray  # float32 (heads,): queries outside both regions (the rest of the image)
    uniform: float  # the key region's token fraction: its share under uniform attention
    n_inside: int  # number of query tokens in the query region
    n_outside: int


@dataclass(frozen=True)
class BankShareSeries:
    """:class:`BankShare` of one layer at every recorded step (``index``/``round`` identify the steps)."""

    layer: str
    steps: list[int]  # positions in ``trace.steps``
    index: np.ndarray  # int (n,) sampler step i
    round: np.ndarray  # int (n,) time-travel round
    inside: np.ndarray  # float32 (n, heads)
    outside: np.ndarray  # float32 (n, heads)
    uniform: float


def mask_on_grid(mask: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """A bool (h, w) token mask: the cells of ``grid`` (h, w) at least half covered by the (H, W) ``mask``."""
    m = np.asarray(mask, dtype=bool)
    if m.ndim != 2:
        raise ValueError(f"mask must be a 2-D bool array, got shape {m.shape}")
    h, w = grid
    H, W = m.shape
    if H % h or W % w:
        return upsample_nearest(m, (w, h))
    return m.reshape(h, H // h, w, W // w).mean(axis=(1, 3)) >= 0.5


def _groups(record: dict) -> tuple[int, int]:
    """(tokens per group, number of key groups) of a record; a masked selection (bg+fg bank) has no grid."""
    h, w = record["grid"]
    M = int(as_numpy(record["k"], "k").shape[0])
    if M % (h * w):
        raise ValueError(f"the keys of this record ({M} tokens) are a masked selection, not whole {h}x{w} token "
                         f"grids (the bg+fg bank of appearance/paste): no key region can be laid on them")
    return h * w, M // (h * w)


def attention_rows(record: dict, rows: np.ndarray) -> np.ndarray:
    """softmax(q·kᵀ/√d) of the query tokens ``rows`` per head: float32 (heads, len(rows), M)."""
    q, k = as_numpy(record["q"], "q"), as_numpy(record["k"], "k")
    heads = int(record["heads"])
    if q.ndim != 2 or k.ndim != 2 or q.shape[1] != k.shape[1] or q.shape[1] % heads:
        raise ValueError(f"record must hold q (N, C) and k (M, C) with C divisible by heads={heads}, "
                         f"got {q.shape} and {k.shape}")
    d = q.shape[1] // heads
    qh = q[np.asarray(rows, dtype=int)].reshape(-1, heads, d).transpose(1, 0, 2).astype(np.float64)
    kh = k.reshape(k.shape[0], heads, d).transpose(1, 0, 2).astype(np.float64)
    logits = np.einsum("hnd,hmd->hnm", qh, kh) / np.sqrt(d)
    logits -= logits.max(axis=2, keepdims=True)
    wts = np.exp(logits)
    return (wts / wts.sum(axis=2, keepdims=True)).astype(np.float32)


def region_share(record: dict, query_mask: np.ndarray, key_mask: np.ndarray | None = None,
                 key_group: int = -1) -> BankShare:
    """How much attention the queries in ``query_mask`` (and, for contrast, the other queries) give to the
    keys in ``key_mask``.

    Masks are bool (H, W) at image resolution, laid on the record's token grid (:func:`mask_on_grid`).
    ``key_mask`` selects tokens of key group ``key_group`` (the last group is the bank: with ``replace`` the
    only group, with ``concat`` [own ‖ bank] the second); ``None`` takes the whole group, so with ``concat``
    the result is the bank's share against the layer's own tokens.
    """
    per_group, n_groups = _groups(record)
    grid = tuple(record["grid"])
    if not -n_groups <= key_group < n_groups:
        raise ValueError(f"key_group must be in [{-n_groups}, {n_groups}) for a record with {n_groups} key "
                         f"group(s), got {key_group}")
    g = key_group % n_groups
    qm = mask_on_grid(query_mask, grid).ravel()
    km = np.ones(per_group, bool) if key_mask is None else mask_on_grid(key_mask, grid).ravel()
    if not qm.any():
        raise ValueError(f"query_mask covers no token of the {grid[0]}x{grid[1]} grid (at least half a cell each)")
    if not km.any():
        raise ValueError(f"key_mask covers no token of the {grid[0]}x{grid[1]} grid (at least half a cell each)")
    keys = np.zeros(per_group * n_groups, bool)
    keys[g * per_group:(g + 1) * per_group] = km
    own_region = km if key_mask is not None else np.zeros(per_group, bool)
    rest = ~qm & ~own_region
    inside = attention_rows(record, np.flatnonzero(qm))[:, :, keys].sum(axis=2).mean(axis=1)
    outside = (attention_rows(record, np.flatnonzero(rest))[:, :, keys].sum(axis=2).mean(axis=1) if rest.any()
               else np.full(inside.shape, np.nan, np.float32))
    return BankShare(inside.astype(np.float32), outside.astype(np.float32), float(keys.mean()),
                     int(qm.sum()), int(rest.sum()))


def bank_share_series(trace: Any, layer: str, query_mask: np.ndarray,
                      key_mask: np.ndarray | None = None, key_group: int = -1) -> BankShareSeries:
    """:func:`region_share` of one bank ``layer`` at every step that recorded its attention."""
    steps = [k for k, s in enumerate(trace.steps) if s.attention and layer in s.attention]
    if not steps:
        have = sorted({name for s in trace.steps for name in (s.attention or {})})
        raise ValueError(f"no attention recorded for layer {layer!r}; recorded layers: {have} "
                         f"(edit with record=True or record={{'attention'}})")
    shares = [region_share(trace.steps[k].attention[layer], query_mask, key_mask, key_group) for k in steps]
    return BankShareSeries(layer, steps, np.array([trace.steps[k].index for k in steps]),
                           np.array([trace.steps[k].round for k in steps]),
                           np.stack([s.inside for s in shares]), np.stack([s.outside for s in shares]),
                           shares[0].uniform)


def attention_spread(record: dict, max_queries: int = 1024) -> np.ndarray:
    """Per head, the effective number of key tokens a query reads (exp of the attention entropy, mean over an
    even subset of at most ``max_queries`` queries) as a fraction of all keys: 1 = uniform attention, small =
    attention on a few tokens. float32 (heads,)."""
    n = int(as_numpy(record["q"], "q").shape[0])
    rows = np.unique(np.linspace(0, n - 1, min(n, max_queries)).round().astype(int))
    w = attention_rows(record, rows).astype(np.float64)
    entropy = -(w * np.log(np.clip(w, 1e-30, None))).sum(axis=2)
    return (np.exp(entropy).mean(axis=1) / w.shape[2]).astype(np.float32)


def image_difference(a: Any, b: Any) -> np.ndarray:
    """Per-pixel mean absolute difference over the channels of two same-size uint8 images: float32 (H, W),
    in grey levels (0–255)."""
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape or x.ndim != 3:
        raise ValueError(f"a and b must be (H, W, C) images of the same shape, got {x.shape} and {y.shape}")
    return np.abs(x.astype(np.float32) - y.astype(np.float32)).mean(axis=2)
