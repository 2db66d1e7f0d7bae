"""UI mode descriptors: the one list of modes the app, its parameter panel, the CLI and the benchmark iterate over.

A UI mode is what a user picks (``resize`` is a :class:`Move` with a scale; ``landmark`` a drag with no content
term). Each descriptor says how it looks (label, canvas tools, hint, which basic controls it shows, whether it
needs a reference image), which preset mode's parameters it runs with, and how to build its engine edit from a
:class:`Drawing` — whatever collected the input (canvases, command-line flags, a benchmark task).
Adding a mode = one engine module (``engine/edits/<mode>.py``) + one descriptor here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np


@dataclass
class Drawing:
    """What the user gave for an edit. ``offset`` is None when no arrow was drawn; masks are bool arrays (an
    all-False mask counts as not drawn); ``points`` are ((x0, y0), (x1, y1)) pairs."""

    mask: np.ndarray | None = None
    offset: tuple[float, float] | None = None
    scale: float = 1.0
    region: np.ndarray | None = None
    points: list = field(default_factory=list)
    reference: Any = None
    reference_mask: np.ndarray | None = None


def _drawn(mask) -> bool:
    return mask is not None and bool(np.asarray(mask).any())


@dataclass(frozen=True)
class ModeDescriptor:
    name: str  # the UI / CLI / benchmark-task name
    label: str
    tools: tuple[str, ...]  # canvas tools, the first is selected on entry
    hint: str
    preset_mode: str  # key of Preset.modes (and the registered edit kind) it runs with
    build: Callable[[Drawing], Any]  # Drawing → engine Edit (ValueError in plain words if incomplete)
    needs: tuple[str, ...] = ()  # Drawing fields that must be given (the CLI maps them to flags)
    controls: tuple[str, ...] = ()  # basic controls shown: "scale", "offset"
    reference: bool = False  # needs a reference image and its object mask
    default_scale: float = 1.0  # the scale control's value on entering the mode (when it is at 1)
    #: What the painted mask means in this mode: "object" (what moves or is restyled), "editable" (where the
    #: picture may change: a drag's region) or None (no mask). Masks of different meanings are separate drawings.
    mask_meaning: str | None = None


#: The words for each mask meaning, as the app says them.
MASK_MEANINGS = {"object": "object mask", "editable": "editable region"}


def _need_mask(d: Drawing) -> np.ndarray:
    if not _drawn(d.mask):
        raise ValueError("Draw the object first: box it or paint it with the brush.")
    return d.mask


def _need_points(d: Drawing) -> list:
    if not d.points:
        raise ValueError("Add at least one handle → target point pair with the Points tool.")
    return [(tuple(a), tuple(b)) for a, b in d.points]


def _need_reference(d: Drawing) -> None:
    if d.reference is None or not _drawn(d.reference_mask):
        raise ValueError("Box or paint the object in the reference image first.")


def _move(d: Drawing):
    from .edits import Move

    mask = _need_mask(d)
    if d.offset is None:
        raise ValueError("Draw an arrow from the object to where it should go.")
    return Move(mask=mask, offset=d.offset, scale=d.scale, reference_region=d.region if _drawn(d.region) else None)


def _resize(d: Drawing):
    from .edits import Move

    mask = _need_mask(d)
    return Move(mask=mask, offset=d.offset or (0.0, 0.0), scale=d.scale,
                reference_region=d.region if _drawn(d.region) else None)


def _drag(d: Drawing):
    from .edits import Drag
    from .edits.drag import points_outside_region

    points = _need_points(d)
    region = d.mask if _drawn(d.mask) else None
    if region is not None:
        outside = points_outside_region(points, region)
        if outside:
            raise ValueError(f"The {', '.join(outside)} lie(s) outside the editable region you painted: outside it "
                             "the picture is held still, so the drag could not move it. Paint the region over every "
                             "handle and target, or erase it all to let the whole image change.")
    return Drag(points=points, mask=region)


def _landmark(d: Drawing):
    from .edits import Landmark

    return Landmark(points=_need_points(d), mask=d.mask if _drawn(d.mask) else None)


def _appearance(d: Drawing):
    from .edits import ReplaceAppearance

    _need_reference(d)
    if not _drawn(d.mask):
        raise ValueError("Box or paint the object to restyle in the image first.")
    return ReplaceAppearance(mask=d.mask, reference=d.reference, reference_mask=d.reference_mask)


def _paste(d: Drawing):
    from .edits import Paste

    _need_reference(d)
    return Paste(reference=d.reference, reference_mask=d.reference_mask, offset=d.offset or (0.0, 0.0), scale=d.scale)


UI_MODES: tuple[ModeDescriptor, ...] = (
    ModeDescriptor("move", "Move", ("box", "brush", "eraser", "arrow", "region"),
                   "Box or paint the object, then draw an arrow from it to where it should go. "
                   "Optionally paint a reference region for the uncovered background.",
                   "move", _move, needs=("mask",), mask_meaning="object"),
    ModeDescriptor("resize", "Resize", ("box", "brush", "eraser", "arrow"),
                   "Box or paint the object; set the scale (an arrow also moves it).",
                   "move", _resize, needs=("mask",), controls=("scale",), default_scale=1.25, mask_meaning="object"),
    ModeDescriptor("drag", "Drag", ("points", "brush", "eraser"),
                   "Click a handle then its target (or drag from one to the other) for each point pair; "
                   "optionally paint the editable region (only it may change; it must cover every handle and "
                   "target; Move's object mask is a separate drawing).",
                   "drag", _drag, needs=("points",), mask_meaning="editable"),
    ModeDescriptor("landmark", "Landmarks", ("points",),
                   "Click a handle then its target for each landmark (e.g. eye corners, mouth, chin); the whole "
                   "image follows, with no region kept fixed.",
                   "landmark", _landmark, needs=("points",)),
    ModeDescriptor("appearance", "Appearance", ("box", "brush", "eraser"),
                   "Box or paint the object to restyle here, and box the object whose look to copy in the reference.",
                   "appearance", _appearance, needs=("mask", "reference", "reference_mask"), reference=True,
                   mask_meaning="object"),
    ModeDescriptor("paste", "Paste", ("arrow",),
                   "Box or paint the object to copy in the reference; move it with dx/dy (or an arrow on the image) "
                   "and scale it while watching the preview.",
                   "paste", _paste, needs=("reference", "reference_mask"), controls=("scale", "offset"), reference=True),
)

#: name → descriptor
UI_MODE: dict[str, ModeDescriptor] = {d.name: d for d in UI_MODES}


def ui_mode(name: str) -> ModeDescriptor:
    """The descriptor of UI mode ``name`` (``ValueError`` naming the modes otherwise)."""
    try:
        return UI_MODE[name]
    except KeyError:
        raise ValueError(f"mode must be one of {tuple(UI_MODE)}, got {name!r}") from None
