"""The built compare bundle in a real browser, inside a host page whose CSS shrinks images (classic Notebook)."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from dragon_widgets.widgets import CompareView
from dragon_widgets.widgets._frontend import STATIC

from test_canvas_harness import server  # noqa: F401  (the module-scoped static file server)

BINARY = ["before_data", "after_data"]
# classic Notebook 6's rule for images in outputs, once as shipped and once as a page might force it
HOST_RULES = {
    "classic": "div.output_area img, div.output_area svg { max-width: 100%; height: auto; }",
    "forced": "div.output_area img { max-width: 100% !important; height: auto !important; width: 10px !important; }",
}


@pytest.fixture
def open_compare(browser, server):  # noqa: F811
    """``open_compare(rule, view) -> (page, errors)``: a page whose host element carries classic Notebook's class
    and the CSS rule ``HOST_RULES[rule]``, showing ``view`` through the built compare bundle; ``errors`` collects
    the page's errors. The pages' contexts are closed after the test."""
    if not (STATIC / "compare.js").is_file():
        pytest.fail("dragon_widgets/static/compare.js is missing: run `npm ci && npm run build`")
    contexts = []

    def open_(rule: str, view: CompareView):
        ctx = browser.new_context(viewport={"width": 900, "height": 800})
        contexts.append(ctx)
        pg = ctx.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda e: errors.append(str(e)))
        pg.goto(f"{server}/tests/browser/harness.html")
        pg.evaluate("""(css) => {
            document.getElementById('host').className = 'output_area';
            const s = document.createElement('style'); s.textContent = css; document.head.appendChild(s);
        }""", HOST_RULES[rule])
        state = {k: v for k, v in view.get_state().items() if not k.startswith("_")}
        for k in BINARY:
            state[k] = base64.b64encode(bytes(state[k])).decode()
        pg.evaluate("([u, s, b]) => start(u, s, b)", [f"{server}/dragon_widgets/static/compare.js", state, BINARY])
        return pg, errors

    yield open_
    for ctx in contexts:
        ctx.close()


def _half_red() -> np.ndarray:
    before = np.zeros((48, 64, 3), np.uint8)
    before[:, :32] = (230, 40, 40)
    return before


@pytest.mark.parametrize("rule", sorted(HOST_RULES))
def test_before_image_keeps_full_size_under_host_page_css(open_compare, rule, artifacts):
    before = _half_red()
    pg, errors = open_compare(rule, CompareView(before, before[:, ::-1].copy(), view="wipe", position=0.5))
    pg.wait_for_selector(".dw-compare img.dw-before")
    pg.wait_for_function("document.querySelector('img.dw-before').complete")
    box = pg.locator(".dw-compare").bounding_box()
    img_b = pg.locator("img.dw-before").bounding_box()
    img_a = pg.locator("img.dw-after").bounding_box()
    clip = pg.locator(".dw-before-clip").bounding_box()
    pg.screenshot(path=str(artifacts / f"compare_{rule}.png"))
    assert box["width"] == pytest.approx(64 * 6, abs=1) and box["height"] == pytest.approx(48 * 6, abs=1)
    assert clip["width"] == pytest.approx(box["width"] / 2, abs=1)  # divider in the middle
    for img in (img_b, img_a):  # both pictures cover the whole box, whatever the page's img rules say
        assert (img["x"], img["y"]) == pytest.approx((box["x"], box["y"]), abs=1)
        assert (img["width"], img["height"]) == pytest.approx((box["width"], box["height"]), abs=1)
    assert not errors, errors


@pytest.mark.parametrize("rule", sorted(HOST_RULES))
def test_side_by_side_is_the_default_and_the_toggle_switches_to_a_wipe_that_shows_the_edit(open_compare, rule,
                                                                                          artifacts):
    before = _half_red()
    view = CompareView(before, before[:, ::-1].copy())
    assert view.view == "side" and view.position == 0.0
    pg, errors = open_compare(rule, view)
    pg.wait_for_function("document.querySelector('img.dw-side-after') && document.querySelector('img.dw-side-after').complete")
    b, a = pg.locator("img.dw-side-before").bounding_box(), pg.locator("img.dw-side-after").bounding_box()
    pg.screenshot(path=str(artifacts / f"compare_side_{rule}.png"))
    for img in (b, a):  # 64×48 shown 4× (256 px wide), whatever the page's img rules say
        assert (img["width"], img["height"]) == pytest.approx((256, 192), abs=1)
    assert a["x"] >= b["x"] + b["width"] and a["y"] == pytest.approx(b["y"], abs=1)  # next to each other
    pg.locator("button.dw-view-wipe").click()
    box = pg.locator(".dw-compare").bounding_box()
    clip = pg.locator(".dw-before-clip").bounding_box()
    assert box["width"] == pytest.approx(64 * 6, abs=1)
    assert clip is None or clip["width"] <= 1  # the wipe starts with the whole "after" image (the edit) visible
    pg.screenshot(path=str(artifacts / f"compare_wipe_{rule}.png"))
    assert not errors, errors


@pytest.mark.parametrize("position", [0.0, 0.5, 1.0])
def test_the_wipe_handle_is_whole_at_either_end_and_a_press_beside_it_selects_no_text(open_compare, position,
                                                                                     artifacts):
    before = _half_red()
    pg, errors = open_compare("classic", CompareView(before, before[:, ::-1].copy(), view="wipe", position=position))
    pg.wait_for_function("document.querySelector('img.dw-before').complete")
    box, handle = pg.locator(".dw-compare").bounding_box(), pg.locator(".dw-handle").bounding_box()
    assert handle["width"] == pytest.approx(14, abs=0.5)
    assert box["x"] - 0.5 <= handle["x"] and handle["x"] + handle["width"] <= box["x"] + box["width"] + 0.5, \
        (box, handle)  # not cut by the box's edge
    mid = box["x"] + position * box["width"]
    assert abs(handle["x"] + handle["width"] / 2 - mid) <= 8  # and still on the divider
    # a press beside the handle and a drag across the page: a wipe, no text selected
    pg.evaluate("""() => { const p = document.createElement('p'); p.id = 'words'; p.textContent = 'some words';
                           document.body.appendChild(p); }""")
    y = box["y"] + box["height"] * 0.8
    pg.mouse.move(box["x"] + box["width"] * 0.3, y)
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] * 0.6, y + box["height"], steps=5)
    pg.mouse.up()
    assert pg.evaluate("() => String(window.getSelection())") == ""
    pg.screenshot(path=str(artifacts / f"compare_handle_{position}.png"))
    assert not errors, errors
