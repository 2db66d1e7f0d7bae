"""Per-mode drawings: a layer the next mode's tools cannot edit is put aside, and comes back with a mode that can.

A canvas drawing has five layers (mask, region, points, boxes, arrow). When the editor switches mode, a layer
both modes can edit *with the same meaning* stays; a layer the new mode cannot edit is taken off the canvas and
kept (Landmarks would otherwise run with an invisible mask painted in Move); it comes back, as it was left, when a
mode that can edit it is chosen again.

The mask layer means different things per mode (``ModeDescriptor.mask_meaning``): Move's *object* is not Drag's
*editable region*. Each meaning keeps its own mask: switching Move → Drag puts the object mask aside and shows
Drag's own region (empty at first), and switching back brings the object mask back unchanged.
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


def layer_key(layer: str, meaning: str | None) -> str:
    """The name a layer is kept under: the mask per meaning ("mask_data:object"), the other layers by name."""
    return f"{layer}:{meaning}" if layer == "mask_data" and meaning else layer


def switch(canvas: Any, hidden: Drawing, old_tools: Any, new_tools: Any, old_meaning: str | None = None,
           new_meaning: str | None = None) -> None:
    """Leave a mode with ``old_tools`` (mask meaning ``old_meaning``) for one with ``new_tools``: layers the new
    tools cannot edit, or whose meaning changes, go into ``hidden`` (and off the canvas); hidden layers the new
    tools can edit with the new meaning come back."""
    current = snapshot(canvas)
    blank = empty(canvas)
    shown = {}
    for layer in LAYER_TOOLS:
        old_key, new_key = layer_key(layer, old_meaning), layer_key(layer, new_meaning)
        was, now = editable(layer, old_tools), editable(layer, new_tools)
        stays = was and now and old_key == new_key
        if was and not stays:
            hidden[old_key] = current[layer]
        if stays:
            shown[layer] = current[layer]
        elif now:
            shown[layer] = hidden.pop(new_key, blank[layer])
        else:
            shown[layer] = blank[layer]
    if shown != current:
        restore(canvas, shown)


def drawn(value: Any) -> bool:
    """True when a kept layer holds something (a set mask byte, a point, a box, an arrow)."""
    if isinstance(value, (bytes, bytearray)):
        return any(value)
    return bool(value)
