"""The result check without ground truth (``check_result``, the model-free part of ``dw.measure_edit``) on
constructed before/after pairs: a blob added outside the edit area counts, a change inside does not, a damaged
bystander counts; a drag without a drawn region is measured outside a default region that scales with the image."""

from __future__ import annotations

import math

import numpy as np

from dragon_widgets.engine.metrics import MetricSettings, check_result, default_drag_region


def _scene(res: int = 64) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A flat background with an edited object (left) and a bystander (right), and the object's mask."""
    k = res // 64
    img = np.full((res, res, 3), (210, 200, 185), np.uint8)
    obj = np.zeros((res, res), bool)
    obj[20 * k:32 * k, 10 * k:22 * k] = True
    img[obj] = (220, 40, 40)
    img[40 * k:52 * k, 44 * k:56 * k] = (40, 160, 60)  # the bystander
    return img, obj


def test_a_clean_edit_inside_its_region_counts_nothing():
    before, obj = _scene()
    after = before.copy()
    after[obj] = (40, 40, 220)  # a strong change, but inside the edit area
    out = check_result(before, after, obj, [])
    assert out["invented_regions"] == 0 and out["invented_boxes"] == [] and out["background_psnr"] == math.inf
    assert out["measured_outside"] == "edit region"


def test_a_blob_added_outside_the_edit_area_counts_with_its_box():
    before, obj = _scene()
    after = before.copy()
    after[4:10, 40:46] = (30, 30, 200)  # an invented object, 36 px, far from the edit
    out = check_result(before, after, obj, [])
    assert out["invented_regions"] == 1 and out["invented_boxes"] == [[40, 4, 46, 10]]
    assert math.isfinite(out["background_psnr"])


def test_a_damaged_bystander_counts():
    before, obj = _scene()
    after = before.copy()
    after[46:52, 44:56] = before[0, 0]  # the bystander loses its lower half
    out = check_result(before, after, obj, [])
    assert out["invented_regions"] == 1 and out["invented_boxes"] == [[44, 46, 56, 52]]


def test_specks_and_faint_changes_do_not_count():
    before, obj = _scene()
    after = before.astype(int)
    after[4:6, 40:42] = (30, 30, 200)  # 4 px: below the size threshold
    after[50:60, 2:12] += 4  # faint: below the change threshold
    out = check_result(before, np.clip(after, 0, 255).astype(np.uint8), obj, [])
    assert out["invented_regions"] == 0
    stricter = check_result(before, np.clip(after, 0, 255).astype(np.uint8), obj, [],
                            MetricSettings(min_region_px=2))
    assert stricter["invented_regions"] == 1  # the threshold is a setting, and it is what decides


def test_a_drag_without_a_region_is_measured_outside_a_default_region_that_scales():
    for res in (64, 512):
        k = res // 64
        before, _obj = _scene(res)
        pts = [((42.0 * k, 44.0 * k), (42.0 * k, 35.0 * k))]
        after = before.copy()
        after[36 * k:44 * k, 38 * k:46 * k] = (90, 90, 90)  # near the drag: allowed
        after[2 * k:8 * k, 2 * k:8 * k] = (0, 0, 0)  # far corner: invented
        out = check_result(before, after, np.ones((res, res), bool), pts, default_region=True)
        assert out["measured_outside"] == "default drag region"
        assert out["invented_regions"] == 1 and 0.05 < out["edited_fraction"] < 0.5, (res, out)
        assert out["invented_boxes"] == [[2 * k, 2 * k, 8 * k, 8 * k]]
    whole = check_result(before, after, np.ones((res, res), bool), pts)
    assert whole["background_psnr"] is None and whole["invented_regions"] == 0  # the region allows everything


def test_default_drag_region_covers_the_segment_and_the_drag_length_around_it():
    m = default_drag_region([((20.0, 20.0), (30.0, 20.0))], (64, 64), margin=2.0)
    assert m[20, 20] and m[20, 30] and m[20, 41] and not m[20, 43] and m[31, 25] and not m[33, 25]


def test_result_check_text_says_what_changed_outside_first():
    from dragon_widgets.engine.result_check_text import result_check_text

    m = {"background_psnr": 24.0, "edited_fraction": 0.3, "invented_regions": 1, "invented_boxes": [[2, 3, 9, 9]]}
    assert result_check_text(m).startswith("Warning: 1 region outside the edit changed strongly (an invented or "
                                           "damaged object? at [2, 3, 9, 9])")
    assert "boxed in red" in result_check_text(m, "boxed in red on the preview")
    assert result_check_text({**m, "invented_regions": 0, "invented_boxes": []}).startswith("Nothing outside")
