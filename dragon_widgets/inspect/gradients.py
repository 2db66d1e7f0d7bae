"""Gradient maps: |∂E/∂z_t| per term as applied after regional masking, the update g the sampler applied (the
pseudo-term ``"applied"``, their sum), and its signed direction."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.trace import APPLIED
from ._arrays import as_numpy, downsample_mask, upsample_nearest


def gradient_label(term: str) -> str:
    """How figures and panels name the gradient map of ``term``: ``|∂E_term/∂z|``, or ``|g| (applied update)`` for
    :data:`~dragon_widgets.core.trace.APPLIED`."""
    return "|g| (applied update)" if term == APPLIED else f"|∂E_{term}/∂z|"


def push_label(term: str) -> str:
    """The name of the signed map of ``term`` (:func:`gradient_direction`)."""
    return "push of −g (applied update) along d" if term == APPLIED else f"push of −∂E_{term}/∂z along d"


#: What the colours of a push map (:func:`gradient_direction` with the trace's :func:`push_axis`) mean, for captions.
PUSH_MEANING = ("red: pushed along d, the way the update pushes the edit region (what the edit writes in); "
                "blue: pushed against d (that pattern taken out); grey: no push. d is one latent direction for the "
                "whole edit, the same at every step and for every term")


def gradient_terms(trace: Any) -> list[str]:
    """The names with a gradient map in some step of ``trace``: its energy terms in ``trace.terms`` order (recorded
    with "gradients"), then ``"applied"`` (the update, recorded with "applied"), then any other recorded name."""
    have: list[str] = []
    for s in trace.steps:
        have += [t for t in (s.grads or {}) if t not in have]
    order = [t for t in (trace.terms or []) if t in have] + ([APPLIED] if APPLIED in have else [])
    return order + [t for t in have if t not in order]


def gradient_map(step: Any, term: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """``step.grads[term]`` (latent grid, float32); nearest-upsampled to ``size`` (W, H) if given. ``term`` is an
    energy term (recorded with "gradients") or ``"applied"``, the update the sampler applied (recorded with
    "applied", e.g. the editor app's default trace)."""
    if not step.grads:
        raise ValueError(f"step {step.index} has no recorded gradients (unguided step, or record without "
                         f"'gradients' or 'applied')")
    if term not in step.grads:
        raise KeyError(f"term {term!r} has no gradient at step {step.index}; recorded: {list(step.grads)}")
    g = as_numpy(step.grads[term], "grads")
    return g if size is None else upsample_nearest(g, size)


def _signed_update(step: Any, term: str) -> np.ndarray:
    """The descent step −∂E/∂z_t of ``term`` at ``step``, float32 (C, h, w)."""
    if not step.grad_latents or term not in step.grad_latents:
        raise KeyError(f"term {term!r} has no signed gradient at step {step.index}")
    g = -as_numpy(step.grad_latents[term], "grad_latents")
    if g.ndim != 3:
        raise ValueError(f"grad_latents[{term!r}] must be (C, h, w), got {g.shape}")
    return g


def push_axis(trace: Any, term: str | None = None) -> np.ndarray:
    """One latent direction d (C,) for the signed push maps of a whole trace, so that red and blue mean the same at
    every step and for every term.

    d is the first principal axis of the update vectors −g of every latent cell at every guided step (each step's
    update scaled to unit norm, so late, large updates do not outvote early ones), taken from ``term`` (default: the
    applied update when recorded, else the sum of the per-term updates). Its sign makes the push of the edit region
    (``trace.masks["edit"]``: where a move's object goes, a drag's editable region) positive, summed over the steps;
    without an edit mask, the cell pushed hardest is positive.
    """
    columns, edit_push = [], 0.0
    edit = (trace.masks or {}).get("edit")
    for s in trace.steps:
        if not s.grad_latents:
            continue
        names = [term] if term else ([APPLIED] if APPLIED in s.grad_latents else list(s.grad_latents))
        names = [n for n in names if n in s.grad_latents]
        if not names:
            continue
        g = sum(_signed_update(s, n) for n in names)
        flat = g.reshape(g.shape[0], -1)
        norm = float(np.linalg.norm(flat))
        if norm > 0:
            columns.append((flat / norm, g.shape[1:]))
    if not columns:
        raise ValueError("trace has no signed gradients (record 'applied' or 'gradients')"
                         + (f" for term {term!r}" if term else ""))
    stacked = np.concatenate([c for c, _ in columns], axis=1)
    _, _, vt = np.linalg.svd(stacked.T, full_matrices=False)
    axis = vt[0].astype(np.float32)
    proj = axis @ stacked
    if edit is not None:
        for flat, (h, w) in columns:
            cells = downsample_mask(edit, (w, h)).reshape(-1)
            edit_push += float((axis @ flat)[cells].sum())
    if edit_push == 0.0:
        edit_push = float(proj[int(np.argmax(np.abs(proj)))])
    return axis if edit_push >= 0 else -axis


def gradient_direction(step: Any, term: str, size: tuple[int, int] | None = None,
                       axis: np.ndarray | None = None) -> np.ndarray:
    """Signed map of where the descent step −∂E/∂z_t pushes, float32 (h, w) or upsampled to ``size``.

    Each latent cell's update vector −g (C,) is projected onto ``axis``: pass the trace's :func:`push_axis`, one
    direction for every step and term (what the figures and panels do), so a colour means the same everywhere:
    positive where the cell is pushed the way the edit region is, negative where it is pushed the opposite way.
    Without ``axis``, the step's own first principal axis is used, oriented to agree with the update of largest
    norm: fine for one map on its own, but its sign may flip from one step to the next.
    """
    g = _signed_update(step, term)
    C, h, w = g.shape
    flat = g.reshape(C, -1)
    if axis is not None:
        axis = np.asarray(axis, dtype=np.float32).reshape(-1)
        if axis.shape[0] != C:
            raise ValueError(f"axis has {axis.shape[0]} channels but the gradient of {term!r} has {C}")
        out = (axis @ flat).reshape(h, w).astype(np.float32)
    elif not np.any(np.linalg.norm(flat, axis=0) > 0):
        out = np.zeros((h, w), np.float32)
    else:
        norms = np.linalg.norm(flat, axis=0)
        _, _, vt = np.linalg.svd(flat.T, full_matrices=False)
        own = vt[0]
        strongest = flat[:, int(np.argmax(norms))]
        if float(own @ strongest) < 0:
            own = -own
        out = (own @ flat).reshape(h, w).astype(np.float32)
    return out if size is None else upsample_nearest(out, size)


def push_share(step: Any, term: str, axis: np.ndarray) -> float:
    """The share of the update's squared norm that lies along ``axis`` (how much of the push a map shows)."""
    g = _signed_update(step, term)
    flat = g.reshape(g.shape[0], -1)
    total = float((flat ** 2).sum())
    a = np.asarray(axis, dtype=np.float32).reshape(-1)
    return float(((a @ flat) ** 2).sum() / (float(a @ a) * total)) if total > 0 else 0.0


def term_region(trace: Any, term: str) -> np.ndarray | None:
    """The bool (H, W) region a term's gradient is confined to by regional masking (DiffEditor:
    g = c·(∇E_M ⊙ M + ∇E_rest ⊙ (1−M))).

    The edit plan names each term's region in ``trace.regions`` (term → "edit" | "rest" | "all"); a term it does not
    name acts in the edit region when it is ``"edit"``, else in the rest. For ``"applied"`` (the update) it is the
    union of the regions of ``trace.terms``. Returns None when the trace has no edit mask.
    """
    m = trace.masks.get("edit") if trace.masks else None
    if m is None:
        return None
    m = np.asarray(m, dtype=bool)
    table = getattr(trace, "regions", None) or {}
    terms = list(getattr(trace, "terms", None) or table) if term == APPLIED else [term]
    out = np.zeros_like(m)
    for name in terms:
        region = table.get(name, "edit" if name == "edit" else "rest")
        if region not in ("edit", "rest", "all"):
            raise ValueError(f"region of term {name!r} must be 'edit', 'rest' or 'all', got {region!r}")
        out |= m if region == "edit" else ~m if region == "rest" else np.ones_like(m)
    return out


def region_on_grid(region: np.ndarray, grid: tuple[int, int]) -> np.ndarray:
    """A pixel region (H, W) as the latent cells (h, w) it touches."""
    return downsample_mask(region, grid)
