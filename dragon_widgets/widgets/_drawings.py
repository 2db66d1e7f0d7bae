"""Per-mode drawings: a layer the next mode's tools cannot edit is put aside, and comes back with a mode that can.

A canvas drawing has five layers (mask, region, points, boxes, arrow). When the editor switches mode, a layer
both modes can edit stays (a mask boxed in Move is still the object in Drag); a layer the new mode cannot edit
is taken off the canvas and kept (Landmarks would otherwise run with an invisible mask painted in Move); it comes
back, as it was left, when a mode that can edit it is chosen again.
"""

from __future__ import annotations

from typing import Any

#: layer → the canvas tools that draw or change it
LAYER_TOOLS: dict[str, frozenset[str]] = {
    "mask_data": frozenset({"brush", "eraser", "box"}),
    "region_data": frozenset({"region"}),
    "points": frozenset({"points"}),
    "boxes": frozenset({"box"}),
    "arrow": frozenset({"arrow"}),
}

Drawing = dict[str, Any]


def editable(layer: str, tools: Any) -> bool:
    """True when one of ``tools`` edits ``layer``."""
    return bool(LAYER_TOOLS[layer] & set(tools))


def snapshot(canvas: Any) -> Drawing:
    """The canvas's five layers (copies)."""
    return {"mask_data": bytes(canvas.mask_data), "region_data": bytes(canvas.region_data),
            "points": [list(map(list, p)) for p in canvas.points], "boxes": [list(b) for b in canvas.boxes],
            "arrow": None if canvas.arrow is None else [list(p) for p in canvas.arrow]}


def empty(canvas: Any) -> Drawing:
    """A drawing with nothing on it, for ``canvas``'s size."""
    n = canvas.width * canvas.height
    return {"mask_data": bytes(n), "region_data": bytes(n), "points": [], "boxes": [], "arrow": None}


def restore(canvas: Any, drawing: Drawing) -> None:
    """Put ``drawing`` on the canvas in one update (the page records one undo step)."""
    with canvas.hold_sync():
        for layer, value in drawing.items():
            setattr(canvas, layer, value)


def switch(canvas: Any, hidden: Drawing, old_tools: Any, new_tools: Any) -> None:
    """Leave a mode with ``old_tools`` for one with ``new_tools``: layers the new tools cannot edit go into
    ``hidden`` (and off the canvas); hidden layers the new tools can edit come back."""
    current = snapshot(canvas)
    blank = empty(canvas)
    shown = {}
    for layer in LAYER_TOOLS:
        if editable(layer, new_tools):
            shown[layer] = current[layer] if editable(layer, old_tools) else hidden.pop(layer, blank[layer])
        else:
            if editable(layer, old_tools):
                hidden[layer] = current[layer]
            shown[layer] = blank[layer]
    if shown != current:
        restore(canvas, shown)
