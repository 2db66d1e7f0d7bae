"""Tasks → engine edits: the engine's own geometry must put the object where the ground truth has it."""

import numpy as np
import pytest

geometry = pytest.importorskip("dragon_widgets.core.geometry")

from dragon_widgets.bench.runner import make_edit  # noqa: E402
from dragon_widgets.bench.segment import iou  # noqa: E402
from dragon_widgets.bench.tasks import make_tasks  # noqa: E402
from dragon_widgets.core.masks import dilate  # noqa: E402


def _engine_target(edit) -> np.ndarray:
    aff = geometry.Affine(geometry.mask_center(edit.mask), edit.scale, tuple(edit.offset))
    return geometry.shift_mask(edit.mask, aff)


def test_move_and_resize_land_on_the_ground_truth():
    for t in make_tasks("test-v1", 8, kinds=("move", "resize")):
        edit = make_edit(t).validate((t.res, t.res))
        got = _engine_target(edit)
        want = dilate(t.target_mask, 1)
        if t.kind == "move":
            assert np.array_equal(got, want), t.id
        else:
            assert iou(got, want) > 0.85, t.id


def test_every_kind_validates():
    for t in make_tasks("test", 3):
        edit = make_edit(t)
        edit.validate((t.res, t.res))  # raises ValueError on anything out of range
        d = edit.to_dict()
        assert d["kind"] == {"resize": "move", "drag-far": "drag"}.get(t.kind, t.kind)


def test_128_px_inputs_get_the_edit_in_input_pixels():
    """Shifted split: inputs are 128 px; masks, offsets and points are handed over at that size."""
    from dragon_widgets.bench.scenes import render

    for t in make_tasks("shifted", 3):
        edit = make_edit(t).validate((t.in_res, t.in_res))
        if t.kind == "move":  # whole-pixel moves at 64 px are even moves at 128: the dilated masks match exactly
            want = dilate(render(t.target, t.in_res)[1][t.target_index] >= 0.5, 2)
            assert np.array_equal(_engine_target(edit), want), t.id
            assert edit.offset == (2 * t.offset[0], 2 * t.offset[1])
        if t.kind in ("drag", "drag-far"):
            (h, g), = edit.points
            (h0, g0), = t.points
            assert h == pytest.approx((2 * h0[0] + 0.5, 2 * h0[1] + 0.5)) and edit.mask.shape == (128, 128)
        if t.kind in ("paste", "appearance"):
            assert np.asarray(edit.reference).shape[:2] == (128, 128)


def test_drag_regions_cover_the_dragged_corner_and_local_is_the_smaller():
    from dragon_widgets.bench.runner import drag_region_mask

    for t in make_tasks("test", 4, kinds=("drag",)):
        (h, g), = t.points
        local, whole = drag_region_mask(t, "local"), drag_region_mask(t, "object")
        for x, y in (h, g):
            assert local[int(round(y)), int(round(x))], t.id
        assert local.sum() < whole.sum(), t.id
        r = np.hypot(g[0] - h[0], g[1] - h[1]) + 2
        ys, xs = np.nonzero(local)
        assert np.all(np.minimum(np.hypot(xs - h[0], ys - h[1]), np.hypot(xs - g[0], ys - g[1])) <= 2 * r), t.id
        assert np.array_equal(make_edit(t).mask, whole)
    with pytest.raises(ValueError, match="drag_region"):
        drag_region_mask(t, "everywhere")
