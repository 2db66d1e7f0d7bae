"""The change detector shared by ShapesBench's invented objects and the editor's result check."""

from __future__ import annotations

import numpy as np
import pytest

from dragon_widgets.core.changes import (CHANGE_DE, change_map, changed_regions, components, delta_e, min_region_px,
                                         region_box)


def _flat(h: int = 64, w: int = 64) -> np.ndarray:
    return np.full((h, w, 3), (200, 190, 170), np.uint8)


def test_change_map_sees_strong_changes_only():
    before = _flat()
    after = before.copy()
    after[10:14, 10:14] = (30, 90, 220)  # a blue blob: far above the threshold
    after[40:44, 40:44] = (203, 192, 172)  # a few grey levels: VAE noise, below it
    ch = change_map(before, after)
    assert ch[10:14, 10:14].all() and ch.sum() == 16
    assert delta_e(np.array([0.5, 0.5, 0.5]), np.array([0.5, 0.5, 0.5])) == 0
    with pytest.raises(ValueError, match="one size"):
        change_map(before, after[:10])


def test_changed_regions_outside_the_allowed_area_above_the_size():
    changed = np.zeros((64, 64), bool)
    changed[2:6, 2:6] = True  # 16 px, outside
    changed[30:40, 30:40] = True  # inside the allowed area
    changed[60, 60] = True  # a speck
    allowed = np.zeros((64, 64), bool)
    allowed[28:42, 28:42] = True
    regions = changed_regions(changed, allowed, min_px=min_region_px((64, 64)))
    assert len(regions) == 1 and region_box(regions[0]) == [2, 2, 6, 6]
    assert min_region_px((64, 64)) == 8 and min_region_px((512, 512)) == 512 and min_region_px((8, 8)) == 2


def test_components_are_four_connected_and_largest_first():
    m = np.zeros((6, 6), bool)
    m[0, 0] = m[1, 1] = True  # diagonal: two components
    m[3:6, 3:6] = True
    comps = components(m)
    assert [int(c.sum()) for c in comps] == [9, 1, 1]
    assert [int(c.sum()) for c in components(m, min_px=2)] == [9]
    assert CHANGE_DE == 15.0
