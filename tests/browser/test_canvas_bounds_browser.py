"""Canvas bounds in the real front end: the far edge is the last pixel, the caps hold, the brush stays in size."""

from __future__ import annotations

import pytest

from test_canvas_harness import _at, _stage_box, page, server  # noqa: F401  (fixtures)


def test_a_point_dragged_past_the_far_edge_lands_on_the_last_pixel(page):  # noqa: F811
    box = _stage_box(page)
    page.click("button.dw-tool-points")
    page.mouse.move(*_at(box, 10, 10)); page.mouse.down(); page.mouse.move(*_at(box, 80, 80)); page.mouse.up()
    pts = page.evaluate("model.get('points')")
    assert pts[0][1] == [63, 63]  # not 64: the engine refuses x = width


def test_an_arrow_ending_past_the_edge_ends_on_the_last_pixel(page):  # noqa: F811
    box = _stage_box(page)
    page.click("button.dw-tool-arrow")
    page.mouse.move(*_at(box, 32, 32)); page.mouse.down(); page.mouse.move(*_at(box, 90, 40)); page.mouse.up()
    a = page.evaluate("model.get('arrow')")
    assert a[1][0] == 63 and a[1][1] == pytest.approx(40, abs=0.2)


def test_the_page_stops_adding_points_at_the_cap(page):  # noqa: F811
    box = _stage_box(page)
    page.evaluate("model.set('max_points', 1)")
    page.click("button.dw-tool-points")
    for y in (10, 30):
        page.mouse.move(*_at(box, 10, y)); page.mouse.down(); page.mouse.move(*_at(box, 20, y)); page.mouse.up()
    assert len(page.evaluate("model.get('points')")) == 1
    assert "At most 1 point pairs" in page.locator(".dw-status").inner_text()


def test_the_brush_never_grows_past_the_image(page):  # noqa: F811
    page.click("button.dw-tool-brush")
    page.evaluate("model.set('brush_size', 63)")
    page.locator(".dw-root").focus()
    for _ in range(5):
        page.keyboard.press("]")
    assert page.evaluate("model.get('brush_size')") == 64
