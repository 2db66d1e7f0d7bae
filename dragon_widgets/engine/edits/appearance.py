"""Replace appearance: the object under a mask takes the look of an object in a reference image (global
pooled similarity to the reference object's features, background and foreground banks combined)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..energy import SimilarityTerm, identity_group
from ...core.geometry import to_grid
from ...core.images import resize_mask, resize_rgb, to_mask
from .base import EditContext, EditPlan, Edit, ModeParams, reference_image
from ..arguments import check_text
from .registry import register

#: Union fields (version-1 logs) the reference modes never used.
UNUSED_UNION = {"w_contrast": None, "w_inpaint": None}


@dataclass(frozen=True)
class AppearanceParams(ModeParams):
    w_content: float = 0.0  # outside the object the features stay
    labels: ClassVar[dict[str, str]] = {**ModeParams.labels, "w_content": "w content"}
    legacy: ClassVar[dict[str, str | None]] = UNUSED_UNION


@register
@dataclass
class ReplaceAppearance(Edit):
    """Give the object under ``mask`` the appearance of the object under ``reference_mask`` in
    ``reference`` (an image or an inverted Source; the mask is at the reference's own size)."""

    mask: Any
    reference: Any
    reference_mask: Any
    reference_prompt: str = ""
    kind: ClassVar[str] = "appearance"
    mode: ClassVar[str] = "appearance"
    Params: ClassVar[type] = AppearanceParams

    def validate(self, size):
        self.mask = to_mask(self.mask, size, "mask")
        self.reference_prompt = check_text(self.reference_prompt, "reference_prompt")
        ref = reference_image(self.reference)
        self.reference_mask = to_mask(self.reference_mask, (ref.shape[1], ref.shape[0]), "reference_mask")
        return self

    def _reference_source(self, ctx: EditContext, image: np.ndarray):
        src = self.reference if hasattr(self.reference, "bank") else None
        if src is not None and tuple(src.work_size) == tuple(ctx.size):
            return src
        return ctx.invert(resize_rgb(image, ctx.size), self.reference_prompt)

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        ref_img = reference_image(self.reference)
        m_b = ctx.to_work(self.mask)
        m_r = resize_mask(self.reference_mask, ctx.size)
        ref_src = self._reference_source(ctx, ref_img)
        g_b, g_r = to_grid(m_b, ctx.grid), to_grid(m_r, ctx.grid)
        lw = p.layer_weights
        terms = [
            SimilarityTerm("content", "attract", p.w_content, "rest", "base", [identity_group(ctx.flat(~g_b))],
                           normalized=True, layer_weights=lw),
            SimilarityTerm("edit", "attract", p.w_edit, "edit", "reference", [(ctx.flat(g_b), ctx.flat(g_r))],
                           pooling="global", normalized=True, layer_weights=lw),
        ]
        return EditPlan(
            mode=self.mode, terms=[t for t in terms if not t.empty], edit_region=ctx.latent_mask(m_b),
            sde_region=ctx.latent_mask(m_b), z_T=ctx.z_T, references={"reference": ref_src}, bank_rule=p.bank_rule,
            base_keep=~m_b, ref_keep=m_r, ip_image=ref_img,
            masks={"edit": m_b, "content": ~m_b, "sde": m_b, "reference": m_r},
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mask": self.mask, "reference": reference_image(self.reference),
                "reference_mask": self.reference_mask, "reference_prompt": self.reference_prompt}
