"""Tasks → engine edits: the engine's own geometry must put the object where the ground truth has it."""

import numpy as np
import pytest

geometry = pytest.importorskip("dragon_widgets.core.geometry")

from dragon_widgets.bench.runner import make_edit  # noqa: E402
from dragon_widgets.bench.segment import dilate, iou  # noqa: E402
from dragon_widgets.bench.tasks import make_tasks  # noqa: E402


def _engine_target(edit) -> np.ndarray:
    aff = geometry.Affine(geometry.mask_center(edit.mask), edit.scale, tuple(edit.offset))
    return geometry.shift_mask(edit.mask, aff)


def test_move_and_resize_land_on_the_ground_truth():
    for t in make_tasks("test", 8, kinds=("move", "resize")):
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
        assert d["kind"] == ("move" if t.kind == "resize" else t.kind)


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
