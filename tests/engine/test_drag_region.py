"""``dw.Drag(mask=...)`` is the editable region: a handle or target outside it is warned about (the API keeps
running it, as it always has; the app refuses it)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import dragon_widgets as dw
from dragon_widgets.engine.edits.drag import DragOutsideRegionWarning, points_outside_region


def _region() -> np.ndarray:
    m = np.zeros((40, 60), bool)
    m[10:30, 10:40] = True
    return m


def test_points_outside_region_names_each_point():
    pts = [((12, 12), (20, 20)), ((5, 5), (45.5, 20))]
    assert points_outside_region(pts, _region()) == ["handle 2 (5, 5)", "target 2 (45.5, 20)"]
    assert points_outside_region([((12, 12), (39.9, 29.9))], _region()) == []


def test_drag_warns_when_a_point_lies_outside_its_editable_region():
    with pytest.warns(DragOutsideRegionWarning, match=r"target 1 \(50, 20\).*editable region"):
        dw.Drag(points=[((20, 20), (50, 20))], mask=_region()).validate((60, 40))


def test_drag_inside_its_region_or_without_one_is_silent():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        dw.Drag(points=[((20, 20), (30, 20))], mask=_region()).validate((60, 40))
        dw.Drag(points=[((20, 20), (50, 20))]).validate((60, 40))
        dw.Drag(points=[((20, 20), (50, 20))], mask=_region(), content=False).validate((60, 40))  # landmark form


def test_docstring_says_the_mask_is_the_editable_region():
    assert "editable region" in dw.Drag.__doc__ and "not the object" in dw.Drag.__doc__
