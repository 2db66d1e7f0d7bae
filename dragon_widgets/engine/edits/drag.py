"""Drag content point by point: each handle window's features attract to its target window, the handle
window repels its old content, and the rest of the image outside the editable region keeps its features."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch

from ..energy import SimilarityTerm, identity_group
from ...core.geometry import point_cell, to_grid, window_indices
from ...core.images import to_mask
from .base import EditContext, EditPlan, Edit, ModeParams, as_tensor_idx, check_point, paste_latent
from .registry import register


@dataclass(frozen=True)
class DragParams(ModeParams):
    w_content: float = 0.0  # outside the editable region the features stay
    w_contrast: float = 0.0  # the handle windows repel their old content
    labels: ClassVar[dict[str, str]] = {**ModeParams.labels, "w_content": "w content", "w_contrast": "w contrast"}
    # the version-1 union called the drag contrast weight ``w_inpaint`` (its ``w_contrast`` was unused)
    legacy: ClassVar[dict[str, str | None]] = {"w_inpaint": "w_contrast"}


def check_points(points, size: tuple[int, int]) -> list:
    try:
        if isinstance(points, (str, bytes, dict)):
            raise TypeError
        pairs = list(points)
    except TypeError:
        raise TypeError(f"points must be a list of ((x0, y0), (x1, y1)) pairs, got {points!r}") from None
    if not pairs:
        raise ValueError("points is empty: give at least one ((x0, y0), (x1, y1)) handle→target pair")
    out = []
    for k, pair in enumerate(pairs):
        try:
            if isinstance(pair, (str, bytes, dict)):
                raise TypeError
            a, b = pair
        except (TypeError, ValueError):
            raise TypeError(f"points[{k}] must be a pair ((x0, y0), (x1, y1)), got {pair!r}") from None
        out.append((check_point(a, size, f"points[{k}] handle"), check_point(b, size, f"points[{k}] target")))
    return out


def plan_drag(ctx: EditContext, points: list, mask: np.ndarray | None, content: bool, mode: str) -> EditPlan:
    """The drag plan; ``content=False`` is the landmark form (no content/contrast terms, guided everywhere)."""
    p = ctx.params
    r = ctx.drag_window
    dev = ctx.device
    pts = [(ctx.scale_xy(a), ctx.scale_xy(b)) for a, b in points]
    m_user = ctx.to_work(mask) if mask is not None else np.ones(ctx.size[::-1], bool)
    edit_groups, contrast_groups = [], []
    z_T = ctx.z_T
    for a, b in pts:
        ws = window_indices(point_cell(a, ctx.size, ctx.grid, r), ctx.grid, r)
        wt = window_indices(point_cell(b, ctx.size, ctx.grid, r), ctx.grid, r)
        edit_groups.append((as_tensor_idx(wt, dev), as_tensor_idx(ws, dev)))
        only_src = np.setdiff1d(ws, wt)
        if only_src.size:
            contrast_groups.append(identity_group(as_tensor_idx(only_src, dev)))
        # initial latent: copy the handle's latent patch to the target
        ls = window_indices(point_cell(a, ctx.size, ctx.latent, r), ctx.latent, r)
        lt = window_indices(point_cell(b, ctx.size, ctx.latent, r), ctx.latent, r)
        z_T = paste_latent(z_T, lt, ls)
    lw = p.layer_weights
    terms = [SimilarityTerm("edit", "attract", p.w_edit, "edit", "base", edit_groups, normalized=True, layer_weights=lw)]
    if content:
        if contrast_groups and p.w_contrast:
            # averaged over all K pairs as the official 1/(L·K) Σ_k: a pair whose target window covers its
            # handle window has nothing to repel and adds 0
            terms.append(SimilarityTerm("contrast", "repel", p.w_contrast, "edit", "base", contrast_groups,
                                        normalized=True, layer_weights=lw, count=len(pts)))
        outside = ~to_grid(m_user, ctx.grid)
        if outside.any():
            terms.append(SimilarityTerm("content", "attract", p.w_content, "rest", "base",
                                        [identity_group(ctx.flat(outside))], normalized=True, layer_weights=lw))
    region = ctx.latent_mask(m_user) if content else torch.ones(1, 1, ctx.latent[1], ctx.latent[0], device=dev)
    return EditPlan(
        mode=mode, terms=terms, edit_region=region, sde_region=region.clone(), z_T=z_T, references={},
        bank_rule=p.bank_rule, masks={"edit": m_user, "content": ~m_user, "sde": m_user}, points=pts,
    )


class DragOutsideRegionWarning(UserWarning):
    """A drag's handle or target lies outside its editable region (``Drag(mask=...)``): the content there is held
    in place by the content term, so that point cannot move as asked."""


def points_outside_region(points: list, region: Any) -> list[str]:
    """Descriptions ("handle 1 (42, 44)") of the handles and targets of ``points`` (validated pairs, pixels) that
    lie outside ``region`` (bool (H, W)): the pixel a point falls on is not in the region. [] when all are in."""
    m = np.asarray(region, dtype=bool)
    h, w = m.shape
    out = []
    for k, pair in enumerate(points):
        for role, (x, y) in zip(("handle", "target"), pair):
            col, row = min(w - 1, max(0, int(x))), min(h - 1, max(0, int(y)))
            if not m[row, col]:
                out.append(f"{role} {k + 1} ({x:g}, {y:g})")
    return out


def validate_points_and_mask(edit, size):
    """Validate a point-pair edit in place (``points``, optional ``mask``) at image ``size``; returns it."""
    edit.points = check_points(edit.points, size)
    if not isinstance(getattr(edit, "content", True), (bool, np.bool_)):
        raise TypeError(f"content must be True or False, got {edit.content!r}")
    if edit.mask is not None:
        edit.mask = to_mask(edit.mask, size, "mask")
    return edit


@register
@dataclass
class Drag(Edit):
    """Drag content: each handle point (x0, y0) goes to its target (x1, y1).

    ``mask`` is the **editable region**, not the object: bool (H, W), True where the picture may change. Outside
    it the content term holds the features in place, so every handle *and* its target must lie inside it (an
    object mask boxed for a move, passed here, keeps the handle's surroundings still and regenerates only the
    object's inside). A handle or target outside the region gives a :class:`DragOutsideRegionWarning`.
    ``None`` (default) lets the whole image change. ``content=False`` is the same as :class:`Landmark` (kept for
    old code and logs)."""

    points: Any
    mask: Any = None
    content: bool = True
    kind: ClassVar[str] = "drag"
    Params: ClassVar[type] = DragParams

    @property
    def mode(self) -> str:  # type: ignore[override]
        return "drag" if self.content else "landmark"  # the landmark form runs with the landmark parameters

    def validate(self, size):
        validate_points_and_mask(self, size)
        if self.content and self.mask is not None:
            outside = points_outside_region(self.points, self.mask)
            if outside:
                warnings.warn(f"Drag: {', '.join(outside)} lie(s) outside the editable region (mask): content "
                              "outside it is held in place, so that point cannot move as asked. Paint the region "
                              "over every handle and target, or pass mask=None to let the whole image change.",
                              DragOutsideRegionWarning, stacklevel=3)
        return self

    def plan(self, ctx: EditContext) -> EditPlan:
        return plan_drag(ctx, self.points, self.mask, self.content, self.mode)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": [[list(a), list(b)] for a, b in self.points], "mask": self.mask,
                "content": self.content}

    @classmethod
    def from_dict(cls, d: dict) -> "Drag":
        d = dict(d)
        d["points"] = [(tuple(a), tuple(b)) for a, b in d["points"]]
        return cls(**d)
