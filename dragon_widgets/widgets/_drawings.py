"""Per-mode drawings: a layer the next mode's tools cannot edit is put aside, and comes back with its mode.

A canvas drawing has five layers (mask, region, points, boxes, arrow). When the editor switches mode, a layer
that both modes can edit stays (a mask boxed in Move is still the object in Drag); a layer only the old mode can
edit is hidden from the new one (Landmarks would otherwise run with an invisible mask painted in Move) and kept
for the old mode; a layer only the new mode can edit comes back as that mode last left it.
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


def switch(canvas: Any, kept: dict[str, Drawing], old: str, old_tools: Any, new: str, new_tools: Any) -> None:
    """Leave mode ``old`` for ``new``: remember ``old``'s drawing in ``kept`` and show what ``new`` may edit."""
    current = snapshot(canvas)
    kept[old] = current
    back = kept.get(new, empty(canvas))
    blank = empty(canvas)
    shown = {}
    for layer in LAYER_TOOLS:
        if not editable(layer, new_tools):
            shown[layer] = blank[layer]
        elif editable(layer, old_tools):
            shown[layer] = current[layer]
        else:
            shown[layer] = back[layer]
    if shown != current:
        restore(canvas, shown)
