"""DragCanvas bounds: points on the last pixel at most, caps on points/boxes/brush size, hostile page messages
refused whole and fast, never an exception into the kernel (property-based with hypothesis)."""

from __future__ import annotations

import time

import numpy as np
import pytest
import traitlets
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dragon_widgets.engine.edits.base import check_point
from dragon_widgets.widgets import DragCanvas
from dragon_widgets.widgets.canvas import FRONTEND_WRITABLE, MAX_BOXES, MAX_POINTS

from widget_fakes import front_end_update

W, H = 48, 32
DRAWING = ("mask_data", "region_data", "points", "boxes", "arrow", "tool", "brush_size", "overlay_opacity")


def canvas() -> DragCanvas:
    c = DragCanvas(np.zeros((H, W, 3), np.uint8))
    c.add_point((2, 3), (10, 11))
    c.boxes = [[1, 1, 9, 9]]
    c.arrow = [[0, 0], [5, 5]]
    return c


def snapshot(c: DragCanvas) -> dict:
    return {k: getattr(c, k) for k in DRAWING}


def test_a_point_on_the_far_edge_becomes_the_last_pixel_the_engine_accepts():
    c = canvas()
    front_end_update(c, {"points": [[[W, H], [0, 0]]]})
    assert c.error == "" and c.points == [[[W - 1.0, H - 1.0], [0.0, 0.0]]]
    for p in c.points[0]:
        check_point(p, (W, H), "point")  # the engine's own check


def test_the_python_api_clamps_the_same_way():
    c = canvas()
    c.add_point((W, 5), (3, H))
    assert c.points[-1] == [[W - 1.0, 5.0], [3.0, H - 1.0]]


def test_an_arrow_end_on_the_far_edge_is_clamped_and_box_corners_keep_the_edge():
    c = canvas()
    front_end_update(c, {"arrow": [[0, 0], [W, H]], "boxes": [[0, 0, W, H]]})
    assert c.arrow == [[0.0, 0.0], [W - 1.0, H - 1.0]]
    assert c.boxes == [[0.0, 0.0, float(W), float(H)]]  # a box edge may be the image's edge


@pytest.mark.parametrize("state", [
    {"points": [[[W + 0.01, 1], [2, 2]]]},
    {"points": [[[1, -0.01], [2, 2]]]},
    {"points": [[["3", "4"], [2, 2]]]},  # digit strings are not numbers
    {"points": [[[True, 4], [2, 2]]]},
    {"points": [[[10 ** 400, 4], [2, 2]]]},  # too large for a float: no OverflowError into the kernel
    {"boxes": [[0, 0, W + 1, H]]},
    {"arrow": [[0, 0], [1e308 * 10, 1]]},
    {"brush_size": 10 ** 40},
    {"brush_size": 1e40},
    {"brush_size": max(W, H) + 1},
    {"points": [[[1, 1], [2, 2]]] * (MAX_POINTS + 1)},
    {"boxes": [[1, 1, 2, 2]] * (MAX_BOXES + 1)},
    {"max_points": 10 ** 9},  # the caps are not the page's to change
], ids=["x-beyond-width", "negative-y", "digit-strings", "bool", "huge-int", "box-beyond", "inf-arrow",
        "brush-1e40-int", "brush-1e40-float", "brush-above-image", "too-many-points", "too-many-boxes", "cap-raise"])
def test_out_of_bounds_updates_are_refused_whole(state):
    c = canvas()
    before = snapshot(c)
    front_end_update(c, {**state, "tool": "eraser"})  # with a good trait: it must not be applied either
    assert snapshot(c) == before and c.max_points == MAX_POINTS
    assert c.error.startswith("Ignored an invalid update from the page")


def test_caps_and_the_largest_brush_are_accepted():
    c = canvas()
    front_end_update(c, {"points": [[[1, 1], [2, 2]]] * MAX_POINTS, "boxes": [[1, 1, 2, 2]] * MAX_BOXES,
                         "brush_size": max(W, H)})
    assert c.error == "" and len(c.points) == MAX_POINTS and len(c.boxes) == MAX_BOXES and c.brush_size == W


def test_brush_size_from_python_is_capped_too():
    c = canvas()
    with pytest.raises(traitlets.TraitError, match=r"brush_size must be between 1 and 48"):
        c.brush_size = 10 ** 40


def test_200000_point_pairs_are_refused_at_once():
    c = canvas()
    flood = [[[1, 1], [2, 2]]] * 200_000
    t0 = time.perf_counter()
    c.set_state({"points": flood})  # what the kernel runs for the page's message
    assert time.perf_counter() - t0 < 0.5  # was 7.4 s of a blocked kernel
    assert "points holds 200000 items; at most 1000" in c.error and len(c.points) == 1


def test_the_caps_reach_the_page_and_the_page_cannot_write_them():
    state = canvas().get_state()
    assert state["max_points"] == MAX_POINTS and state["max_boxes"] == MAX_BOXES
    assert not {"max_points", "max_boxes"} & FRONTEND_WRITABLE


class _BrokenOpacity(DragCanvas):
    @traitlets.validate("overlay_opacity")
    def _valid_opacity(self, proposal):
        raise RuntimeError("validator bug")  # not a TraitError: traitlets itself would not roll back


def test_an_unexpected_error_inside_an_update_restores_every_trait():
    c = _BrokenOpacity(np.zeros((H, W, 3), np.uint8))
    c.add_point((2, 3), (10, 11))
    before = snapshot(c)
    front_end_update(c, {"points": [], "overlay_opacity": 0.3})  # must not raise
    assert snapshot(c) == before and "validator bug" in c.error


# ------------------------------------------------------------------------------------- property-based fuzzing
JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(min_value=-(10 ** 30), max_value=10 ** 30),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.binary(max_size=8))
JSONISH = st.recursive(JSON_LEAF, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(st.text(max_size=3), inner, max_size=3)),
                       max_leaves=12)
COORD = st.one_of(st.floats(min_value=-2, max_value=W + 2), st.integers(min_value=-2, max_value=W + 2), JSON_LEAF)
XY = st.one_of(st.lists(COORD, min_size=2, max_size=2), JSONISH)
NEAR_VALID = {
    "points": st.lists(st.one_of(st.lists(XY, min_size=2, max_size=2), JSONISH), max_size=5),
    "boxes": st.lists(st.one_of(st.lists(COORD, min_size=4, max_size=4), JSONISH), max_size=4),
    "arrow": st.one_of(st.none(), st.lists(XY, min_size=2, max_size=2), JSONISH),
    "tool": st.one_of(st.sampled_from(["brush", "eraser", "box", "arrow", "points", "region", "lasso"]), JSONISH),
    "brush_size": st.one_of(st.integers(min_value=-3, max_value=60), JSONISH),
    "overlay_opacity": st.one_of(st.floats(min_value=-0.5, max_value=1.5), JSONISH),
    "mask_data": st.one_of(st.binary(min_size=W * H, max_size=W * H), st.binary(max_size=16)),
    "region_data": st.one_of(st.binary(min_size=W * H, max_size=W * H), st.binary(max_size=16)),
    "width": st.integers(), "image_data": st.binary(max_size=8), "max_points": st.integers(),
}
def _num(top: int):
    return st.one_of(st.floats(min_value=-0.5, max_value=top + 0.5), st.integers(min_value=0, max_value=top),
                     st.just(top))


PAIR = st.tuples(_num(W), _num(H)).map(list)
PLAUSIBLE = {  # what a page (or a slightly wrong one) sends: mostly accepted, often at the edges
    "points": st.lists(st.lists(PAIR, min_size=2, max_size=2), max_size=6),
    "boxes": st.lists(st.tuples(PAIR, PAIR).map(lambda b: b[0] + b[1]), max_size=4),
    "arrow": st.one_of(st.none(), st.lists(PAIR, min_size=2, max_size=2)),
    "tool": st.sampled_from(["brush", "eraser", "box", "arrow", "points", "region"]),
    "brush_size": st.integers(min_value=0, max_value=W + 2),
    "overlay_opacity": st.floats(min_value=-0.1, max_value=1.1),
    "mask_data": st.binary(min_size=W * H, max_size=W * H),
}
MESSAGES = st.one_of(
    st.fixed_dictionaries({}, optional=PLAUSIBLE),
    st.fixed_dictionaries({}, optional=NEAR_VALID),
    st.dictionaries(st.sampled_from(sorted(NEAR_VALID)), JSONISH, max_size=4),
)


def assert_in_bounds(c: DragCanvas) -> None:
    for pair in c.points:
        for x, y in pair:
            assert 0 <= x <= W - 1 and 0 <= y <= H - 1
            check_point((x, y), (W, H), "point")
    for x0, y0, x1, y1 in c.boxes:
        assert 0 <= x0 <= x1 <= W and 0 <= y0 <= y1 <= H
    if c.arrow is not None:
        for x, y in c.arrow:
            assert 0 <= x <= W - 1 and 0 <= y <= H - 1
    assert len(c.points) <= MAX_POINTS and len(c.boxes) <= MAX_BOXES
    assert 1 <= c.brush_size <= max(W, H) and 0 <= c.overlay_opacity <= 1
    assert len(c.mask_data) == len(c.region_data) == W * H and set(c.mask_data) <= {0, 1}
    assert (c.width, c.height) == (W, H)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(MESSAGES)
def test_any_page_message_is_applied_in_bounds_or_refused_whole(message):
    c = canvas()
    before = snapshot(c)
    front_end_update(c, message)  # must not raise, whatever the message
    assert_in_bounds(c)
    if c.error.startswith("Ignored an invalid update"):
        assert snapshot(c) == before
    else:
        after = snapshot(c)
        assert all(after[k] == before[k] for k in DRAWING if k not in message)
