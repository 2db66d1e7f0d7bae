"""Landmark drag (faces, many points at once): handle windows attract to their targets with no content or
contrast term, guided over the whole image."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from .base import EditContext, EditPlan, Edit, ModeParams
from .drag import plan_drag, validate_points_and_mask
from .registry import register


@dataclass(frozen=True)
class LandmarkParams(ModeParams):
    legacy: ClassVar[dict[str, str | None]] = {"w_content": None, "w_contrast": None, "w_inpaint": None}


@register
@dataclass
class Landmark(Edit):
    """Move each handle point (x0, y0) to its target (x1, y1) with the whole image free to follow (the
    DragonDiffusion face/landmark form). ``mask`` is only drawn in the trace."""

    points: Any
    mask: Any = None
    kind: ClassVar[str] = "landmark"
    mode: ClassVar[str] = "landmark"
    Params: ClassVar[type] = LandmarkParams

    def validate(self, size):
        return validate_points_and_mask(self, size)

    def plan(self, ctx: EditContext) -> EditPlan:
        return plan_drag(ctx, self.points, self.mask, False, self.mode)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": [[list(a), list(b)] for a, b in self.points], "mask": self.mask}

    @classmethod
    def from_dict(cls, d: dict) -> "Landmark":
        d = dict(d)
        d["points"] = [(tuple(a), tuple(b)) for a, b in d["points"]]
        return cls(**d)
