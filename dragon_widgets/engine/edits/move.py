"""Move (and resize) an object: the object's features attract to its new place, the vacated area repels its old
content and is inpainted from the background."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..energy import SimilarityTerm, identity_group
from ...core.geometry import Affine, check_inside, mask_center, shift_mask, to_grid, warp_mask_indices
from ...core.images import to_mask
from .base import EditContext, EditPlan, Edit, ModeParams, as_tensor_idx, check_offset, check_scale, paste_latent
from .registry import register


@dataclass(frozen=True)
class MoveParams(ModeParams):
    w_content: float = 0.0  # the rest of the image keeps its features
    w_contrast: float = 0.0  # the vacated area repels the object's old features
    w_inpaint: float = 0.0  # the vacated area attracts the reference region's (background) features
    labels: ClassVar[dict[str, str]] = {**ModeParams.labels, "w_content": "w content", "w_contrast": "w contrast",
                                        "w_inpaint": "w inpaint"}


@register
@dataclass
class Move(Edit):
    """Move the object under ``mask`` by ``offset`` = (dx, dy) pixels; ``scale`` != 1 resizes it about its
    centre. ``reference_region`` optionally says what the vacated area should look like."""

    mask: Any
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    reference_region: Any = None
    kind: ClassVar[str] = "move"
    mode: ClassVar[str] = "move"
    Params: ClassVar[type] = MoveParams

    def validate(self, size):
        self.mask = to_mask(self.mask, size, "mask")
        self.offset = check_offset(self.offset)
        self.scale = check_scale(self.scale)
        if self.reference_region is not None:
            self.reference_region = to_mask(self.reference_region, size, "reference_region")
        if self.offset == (0.0, 0.0) and self.scale == 1.0:
            raise ValueError("offset is (0, 0) and scale is 1: the move would change nothing")
        affine = Affine(mask_center(self.mask), self.scale, self.offset)
        check_inside(self.mask, affine, "offset/scale")
        return self

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        m = ctx.to_work(self.mask)
        d = ctx.scale_xy(self.offset)
        aff = Affine(mask_center(m), self.scale, d)
        m_new = shift_mask(m, aff)
        # guidance grid
        g_src = to_grid(m, ctx.grid)
        g_new, dst, src = warp_mask_indices(g_src, aff.on_grid(ctx.size, ctx.grid))
        if dst.size == 0:
            raise ValueError("mask is too small for the model's guidance grid; draw a larger mask")
        g_other = ~(g_src | g_new)
        g_vac = g_src & ~g_new
        g_ref = to_grid(ctx.to_work(self.reference_region), ctx.grid) if self.reference_region is not None else g_other
        dev = ctx.device
        lw = p.layer_weights
        terms = [
            SimilarityTerm("edit", "attract", p.w_edit, "edit", "base", [(as_tensor_idx(dst, dev), as_tensor_idx(src, dev))],
                           layer_weights=lw),
            SimilarityTerm("content", "attract", p.w_content, "rest", "base", [identity_group(ctx.flat(g_other))], layer_weights=lw),
        ]
        if g_vac.any():
            terms.append(SimilarityTerm("contrast", "repel", p.w_contrast, "rest", "base", [identity_group(ctx.flat(g_vac))],
                                        normalized=True, layer_weights=lw))
            if g_ref.any():
                # the official inpainting term sums the layers (no 0.5 factor)
                terms.append(SimilarityTerm("inpaint", "attract", p.w_inpaint, "rest", "base",
                                            [(ctx.flat(g_vac), ctx.flat(g_ref))], pooling="global", normalized=True,
                                            layer_weights=(1.0,) * len(lw)))
        # initial latent: the object's inverted noise pasted at its new place
        l_src = to_grid(m, ctx.latent)
        _, ldst, lsrc = warp_mask_indices(l_src, aff.on_grid(ctx.size, ctx.latent))
        z_T = paste_latent(ctx.z_T, ldst, lsrc)
        return EditPlan(
            mode=self.mode, terms=[t for t in terms if not t.empty], edit_region=ctx.latent_mask(m_new),
            sde_region=ctx.latent_mask(m | m_new), z_T=z_T, references={}, bank_rule=p.bank_rule,
            masks={"source": m, "target": m_new, "vacated": m & ~m_new, "edit": m_new, "content": ~(m | m_new),
                   "sde": m | m_new},
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mask": self.mask, "offset": list(self.offset), "scale": self.scale,
                "reference_region": self.reference_region}
