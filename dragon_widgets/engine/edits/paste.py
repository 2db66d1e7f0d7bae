"""Paste an object from a reference image into the source, moved and scaled: the reference is warped into
place and inverted, its noise pasted into the initial latent, and its features attracted inside the target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..energy import SimilarityTerm, identity_group
from ...core.geometry import Affine, check_inside, mask_center, paste_placement, to_grid
from ...core.images import resize_mask, resize_rgb, to_mask
from .appearance import UNUSED_UNION
from .base import EditContext, EditPlan, Edit, ModeParams, check_offset, check_scale, paste_latent, reference_image
from ..arguments import check_text
from .registry import register
from ...core.warp import warp_image


@dataclass(frozen=True)
class PasteParams(ModeParams):
    w_content: float = 0.0  # outside the pasted object the features stay
    labels: ClassVar[dict[str, str]] = {**ModeParams.labels, "w_content": "w content"}
    legacy: ClassVar[dict[str, str | None]] = UNUSED_UNION


@register
@dataclass
class Paste(Edit):
    """Paste the object under ``reference_mask`` of ``reference`` into the source image, moved by
    ``offset`` (pixels of the source image) and scaled by ``scale`` about its centre."""

    reference: Any
    reference_mask: Any
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    reference_prompt: str = ""
    kind: ClassVar[str] = "paste"
    mode: ClassVar[str] = "paste"
    Params: ClassVar[type] = PasteParams

    def validate(self, size):
        ref = reference_image(self.reference)
        self.reference_mask = to_mask(self.reference_mask, (ref.shape[1], ref.shape[0]), "reference_mask")
        self.offset = check_offset(self.offset)
        self.reference_prompt = check_text(self.reference_prompt, "reference_prompt")
        self.scale = check_scale(self.scale)
        m = resize_mask(self.reference_mask, size)
        if not m.any():
            raise ValueError("reference_mask vanishes at the source image's size; draw a larger mask")
        check_inside(m, Affine(mask_center(m), self.scale, self.offset), "offset/scale")
        return self

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        original = reference_image(self.reference)
        ref_img = resize_rgb(original, ctx.size)
        placed = paste_placement(self.reference_mask, ctx.size, ctx.scale_xy(self.offset), self.scale)
        aff, m_b = placed.affine, placed.target
        if not m_b.any():
            raise ValueError("the pasted object lands outside the image; check offset and scale")
        identity = self.scale == 1.0 and tuple(aff.offset) == (0.0, 0.0)
        src = self.reference if hasattr(self.reference, "bank") else None
        if identity and src is not None and tuple(src.work_size) == tuple(ctx.size):
            ref_src = src
        else:  # place the object where it goes, then invert: all positions line up with the base image
            ref_src = ctx.invert(warp_image(ref_img, aff), self.reference_prompt)
        g_b = to_grid(m_b, ctx.grid)
        l_b = to_grid(m_b, ctx.latent)
        cells = np.flatnonzero(l_b)
        z_T = paste_latent(ctx.z_T, cells, cells, from_z=ref_src.bank.z_T.to(ctx.z_T))
        lw = p.layer_weights
        terms = [
            SimilarityTerm("content", "attract", p.w_content, "rest", "base", [identity_group(ctx.flat(~g_b))],
                           normalized=True, layer_weights=lw),
            SimilarityTerm("edit", "attract", p.w_edit, "edit", "reference", [identity_group(ctx.flat(g_b))],
                           normalized=True, layer_weights=lw),
        ]
        return EditPlan(
            mode=self.mode, terms=[t for t in terms if not t.empty], edit_region=ctx.latent_mask(m_b),
            sde_region=ctx.latent_mask(m_b), z_T=z_T, references={"reference": ref_src}, bank_rule=p.bank_rule,
            base_keep=~m_b, ref_keep=m_b, ip_image=original,  # the prompt encoder resizes it once, as appearance
            masks={"edit": m_b, "content": ~m_b, "sde": m_b, "target": m_b},
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "reference": reference_image(self.reference), "reference_mask": self.reference_mask,
                "offset": list(self.offset), "scale": self.scale, "reference_prompt": self.reference_prompt}
