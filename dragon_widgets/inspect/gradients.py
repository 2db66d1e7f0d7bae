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
    return "push of −g (applied update)" if term == APPLIED else f"push of −∂E_{term}/∂z"


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


def gradient_direction(step: Any, term: str, size: tuple[int, int] | None = None) -> np.ndarray:
    """Signed map of where the descent step −∂E/∂z_t pushes, float32 (h, w) or upsampled to ``size``.

    Each latent cell's update vector −g (C,) is projected onto the dominant direction of all update
    vectors (their first principal axis, oriented to agree with the update of largest norm): positive
    where the step adds that pattern, negative where it removes it. For a drag the target window and
    the handle window typically get opposite signs: the gradient writes the object in and wipes it out.
    """
    if not step.grad_latents or term not in step.grad_latents:
        raise KeyError(f"term {term!r} has no signed gradient at step {step.index}")
    g = -as_numpy(step.grad_latents[term], "grad_latents")
    if g.ndim != 3:
        raise ValueError(f"grad_latents[{term!r}] must be (C, h, w), got {g.shape}")
    C, h, w = g.shape
    flat = g.reshape(C, -1)
    norms = np.linalg.norm(flat, axis=0)
    if not np.any(norms > 0):
        out = np.zeros((h, w), np.float32)
    else:
        _, _, vt = np.linalg.svd(flat.T, full_matrices=False)
        axis = vt[0]
        strongest = flat[:, int(np.argmax(norms))]
        if float(axis @ strongest) < 0:
            axis = -axis
        out = (axis @ flat).reshape(h, w).astype(np.float32)
    return out if size is None else upsample_nearest(out, size)


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
