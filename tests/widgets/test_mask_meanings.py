"""One meaning per mask: Move's object mask and Drag's editable region are separate drawings, the app says so
when it switches, and a drag whose handle or target lies outside its painted region is refused before it runs."""

from __future__ import annotations

import numpy as np
import pytest

from dragon_widgets.engine.ui_modes import Drawing, ui_mode
from dragon_widgets.widgets import EditorApp
from dragon_widgets.widgets._scene import builtin_shape_masks


def _box(y0: int, y1: int, x0: int, x1: int) -> np.ndarray:
    m = np.zeros((64, 64), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_move_object_mask_does_not_become_drag_region_and_back():
    a = EditorApp()
    obj = builtin_shape_masks()[0]
    a.canvas.mask = obj
    a.canvas.arrow = [[30, 30], [20, 30]]
    a.mode = "drag"
    assert not a.canvas.mask.any()  # Drag starts with its own, empty editable region
    assert "object mask is kept for Move" in a.status_text and "editable region" in a.status_text
    region = _box(30, 60, 30, 60)
    a.canvas.mask = region
    a.mode = "move"
    assert np.array_equal(a.canvas.mask, obj)  # not merged with the region painted in Drag
    assert "editable region is kept for Drag" in a.status_text
    a.mode = "drag"
    assert np.array_equal(a.canvas.mask, region)


def test_the_canvas_is_told_what_its_mask_means_for_the_brush_tooltip():
    a = EditorApp()
    assert a.canvas.mask_meaning == "object"
    a.mode = "drag"
    assert a.canvas.mask_meaning == "editable"
    a.mode = "resize"
    assert a.canvas.mask_meaning == "object"


def test_object_meaning_is_shared_by_move_resize_and_appearance():
    a = EditorApp()
    obj = builtin_shape_masks()[0]
    a.canvas.mask = obj
    for mode in ("resize", "appearance", "move"):
        a.mode = mode
        assert np.array_equal(a.canvas.mask, obj), mode


def test_no_note_when_nothing_was_put_aside():
    a = EditorApp()
    a.mode = "drag"
    assert "kept for" not in a.status_text


def test_drag_outside_its_painted_region_is_refused_before_it_runs():
    a = EditorApp()
    a.mode = "drag"
    a.canvas.mask = _box(0, 32, 0, 32)
    a.canvas.add_point((42, 44), (42, 35))  # the triangle's apex, outside the region
    assert a.run() is None and a.history == []
    assert "handle 1 (42, 44)" in a.status_text and "target 1 (42, 35)" in a.status_text
    assert "outside the editable region" in a.status_text
    assert a.canvas.mask.any() and a.canvas.points  # nothing is lost


def test_ui_mode_refuses_a_point_outside_but_accepts_one_inside():
    region = _box(30, 50, 30, 50)
    with pytest.raises(ValueError, match=r"target 1 \(55, 40\)"):
        ui_mode("drag").build(Drawing(mask=region, points=[((40, 40), (55, 40))]))
    edit = ui_mode("drag").build(Drawing(mask=region, points=[((40, 40), (45, 40))]))
    assert edit.mask is not None and edit.points == [((40, 40), (45, 40))]
    assert ui_mode("drag").build(Drawing(points=[((40, 40), (55, 40))])).mask is None  # no region: anywhere
