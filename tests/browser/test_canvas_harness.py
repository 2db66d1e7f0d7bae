"""The built canvas bundle in a real browser with a fake widget model (fast, no Jupyter server)."""

from __future__ import annotations

import base64
import functools
import http.server
import pathlib
import threading

import numpy as np
import pytest

from dragon_widgets.widgets import DragCanvas
from dragon_widgets.widgets._frontend import STATIC

ROOT = pathlib.Path(__file__).resolve().parents[2]
BINARY = ["image_data", "mask_data", "region_data"]


@pytest.fixture(scope="module")
def server():
    if not (STATIC / "canvas.js").is_file():
        pytest.fail("dragon_widgets/static/canvas.js is missing: run `npm ci && npm run build`")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

    handler = functools.partial(Quiet, directory=str(ROOT))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def page(browser, server):
    ctx = browser.new_context(viewport={"width": 900, "height": 800})
    pg = ctx.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(f"{server}/tests/browser/harness.html")
    img = np.zeros((64, 64, 3), np.uint8)
    img[:, :, 2] = 160
    img[20:44, 20:44] = (230, 40, 40)
    c = DragCanvas(img)
    state = {k: v for k, v in c.get_state().items() if not k.startswith("_")}
    for k in BINARY:
        state[k] = base64.b64encode(bytes(state[k])).decode()
    pg.evaluate("([u, s, b]) => start(u, s, b)", [f"{server}/dragon_widgets/static/canvas.js", state, BINARY])
    pg.wait_for_selector(".dw-stage")
    pg.wait_for_timeout(100)
    yield pg
    assert not errors, errors
    ctx.close()


def _stage_box(page):
    return page.locator(".dw-stage").bounding_box()


def _at(box, x, y):
    """Image pixel (x, y) of the 64×64 image → page coordinates."""
    return box["x"] + x / 64 * box["width"], box["y"] + y / 64 * box["height"]


def test_small_image_is_scaled_up_crisply(page, artifacts):
    box = _stage_box(page)
    assert box["width"] == pytest.approx(512, abs=1)  # 64 px shown 8× larger
    rendering = page.evaluate("getComputedStyle(document.querySelector('canvas.dw-base')).imageRendering")
    assert rendering in ("pixelated", "crisp-edges")
    page.screenshot(path=str(artifacts / "canvas.png"))


def test_brush_stroke_syncs_once_on_stroke_end(page, artifacts):
    box = _stage_box(page)
    page.mouse.move(*_at(box, 10, 10))
    page.mouse.down()
    for i in range(1, 20):
        page.mouse.move(*_at(box, 10 + i * 2, 12))
    assert page.evaluate("model.saves.length") == 0  # nothing sent while drawing
    page.mouse.up()
    saves = page.evaluate("model.saves")
    assert saves == [["mask_data"]]
    assert page.evaluate("maskOf('mask_data')") > 40
    page.screenshot(path=str(artifacts / "stroke.png"))


def test_eraser_and_undo_redo_buttons_and_keys(page):
    box = _stage_box(page)
    page.mouse.move(*_at(box, 5, 5)); page.mouse.down(); page.mouse.move(*_at(box, 40, 5)); page.mouse.up()
    painted = page.evaluate("maskOf('mask_data')")
    page.click("button.dw-tool-eraser")
    assert page.evaluate("model.get('tool')") == "eraser"
    page.mouse.move(*_at(box, 5, 5)); page.mouse.down(); page.mouse.move(*_at(box, 20, 5)); page.mouse.up()
    erased = page.evaluate("maskOf('mask_data')")
    assert 0 < erased < painted
    page.click("button.dw-undo")
    assert page.evaluate("maskOf('mask_data')") == painted
    page.keyboard.press("Control+Shift+Z")
    assert page.evaluate("maskOf('mask_data')") == erased
    page.keyboard.press("Control+Z")
    page.keyboard.press("Control+Z")
    assert page.evaluate("maskOf('mask_data')") == 0
    assert page.locator("button.dw-undo").is_disabled()


def test_point_pairs_click_click_and_drag(page, artifacts):
    box = _stage_box(page)
    page.click("button.dw-tool-points")
    page.mouse.click(*_at(box, 10, 10))
    assert page.evaluate("model.get('points').length") == 0  # pending handle stays local
    page.mouse.click(*_at(box, 30, 12))
    page.mouse.move(*_at(box, 40, 40)); page.mouse.down(); page.mouse.move(*_at(box, 50, 50)); page.mouse.up()
    pts = page.evaluate("model.get('points')")
    assert len(pts) == 2
    assert pts[0][0] == pytest.approx([10, 10], abs=0.2) and pts[0][1] == pytest.approx([30, 12], abs=0.2)
    assert pts[1][1] == pytest.approx([50, 50], abs=0.2)
    page.screenshot(path=str(artifacts / "points.png"))
    # drag an existing target to a new place
    page.mouse.move(*_at(box, 30, 12)); page.mouse.down(); page.mouse.move(*_at(box, 33, 20)); page.mouse.up()
    assert page.evaluate("model.get('points')[0][1]") == pytest.approx([33, 20], abs=0.2)
    page.keyboard.press("Control+Z")
    assert page.evaluate("model.get('points')[0][1]") == pytest.approx([30, 12], abs=0.2)
    page.keyboard.press("Control+Z")
    assert len(page.evaluate("model.get('points')")) == 1


def test_box_and_arrow(page):
    box = _stage_box(page)
    page.click("button.dw-tool-box")
    page.mouse.move(*_at(box, 18, 18)); page.mouse.down(); page.mouse.move(*_at(box, 46, 46)); page.mouse.up()
    assert page.evaluate("model.get('boxes')") == [pytest.approx([18, 18, 46, 46], abs=0.2)]
    page.click("button.dw-tool-arrow")
    page.mouse.move(*_at(box, 32, 32)); page.mouse.down(); page.mouse.move(*_at(box, 40, 36)); page.mouse.up()
    a = page.evaluate("model.get('arrow')")
    assert a[0] == pytest.approx([32, 32], abs=0.2) and a[1] == pytest.approx([40, 36], abs=0.2)
    page.click("button.dw-clear")
    assert page.evaluate("model.get('arrow')") is None and page.evaluate("model.get('boxes')") == []
    page.keyboard.press("Control+Z")
    assert page.evaluate("model.get('arrow')") is not None


def test_python_side_changes_show_and_are_undoable(page):
    mask = np.zeros(64 * 64, np.uint8)
    mask[:100] = 1
    page.evaluate("(s) => model.remote('mask_data', b64ToDataView(s))", base64.b64encode(mask.tobytes()).decode())
    page.evaluate("() => model.remote('points', [[[1, 1], [5, 5]]])")
    page.wait_for_timeout(50)
    assert "1 point pair" in page.inner_text(".dw-status") and "mask 100 px" in page.inner_text(".dw-status")
    page.click("button.dw-undo")
    assert page.evaluate("model.get('points')") == []


def test_touch_and_pen_pointer_events(page):
    box = _stage_box(page)
    for kind, row in (("touch", 20), ("pen", 45)):
        x, y = _at(box, 20, row)
        page.evaluate(
            """([x, y, kind]) => {
              const s = document.querySelector('.dw-stage');
              const o = {pointerId: kind === 'touch' ? 7 : 8, pointerType: kind, clientX: x, clientY: y,
                         bubbles: true, isPrimary: true, button: 0, buttons: 1};
              s.dispatchEvent(new PointerEvent('pointerdown', o));
              s.dispatchEvent(new PointerEvent('pointermove', {...o, clientX: x + 40}));
              s.dispatchEvent(new PointerEvent('pointerup', {...o, clientX: x + 40, buttons: 0}));
            }""",
            [x, y, kind],
        )
        page.wait_for_timeout(20)
    assert page.evaluate("model.saves.length") == 2
    assert page.evaluate("maskOf('mask_data')") > 20


def test_a_second_view_shows_the_same_drawing(page):
    """Re-rendering (another output of the same widget, a restored view) shows what was drawn."""
    box = _stage_box(page)
    page.mouse.move(*_at(box, 8, 30)); page.mouse.down(); page.mouse.move(*_at(box, 50, 30)); page.mouse.up()
    page.click("button.dw-tool-points")
    page.mouse.click(*_at(box, 10, 10)); page.mouse.click(*_at(box, 20, 20))
    first = page.inner_text(".dw-status")
    page.evaluate("""async (url) => {
        const host = document.createElement('div'); host.id = 'host2'; document.body.appendChild(host);
        const mod = await import(url);
        mod.default.render({ model: window.model, el: host });
    }""", page.url.replace("/tests/browser/harness.html", "/dragon_widgets/static/canvas.js"))
    page.wait_for_timeout(300)  # the image decodes asynchronously
    second = page.inner_text("#host2 .dw-status")
    assert second == first and "1 point pair" in second and "mask 0 px" not in second
    a, b = page.evaluate("[...document.querySelectorAll('canvas.dw-base')].map((c) => c.toDataURL())")
    assert a == b  # image + mask overlay, pixel for pixel


def _object_mask_b64(x0, y0, x1, y1, base=None):
    """The mask Python sends back for a box (the object inside it), as the harness's base64 bytes."""
    m = np.zeros((64, 64), np.uint8) if base is None else base.copy()
    m[y0:y1, x0:x1] = 1
    return base64.b64encode(m.tobytes()).decode()


def test_one_undo_removes_a_box_and_the_mask_python_added_for_it(page):
    """With box → mask on, the box and the object mask Python adds for it are one undo step (and one redo)."""
    box = _stage_box(page)
    page.evaluate("() => model.remote('box_masking', true)")
    page.mouse.move(*_at(box, 5, 5)); page.mouse.down(); page.mouse.move(*_at(box, 15, 5)); page.mouse.up()
    stroke = page.evaluate("maskOf('mask_data')")
    assert stroke > 0
    page.click("button.dw-tool-box")
    page.mouse.move(*_at(box, 18, 18)); page.mouse.down(); page.mouse.move(*_at(box, 46, 46)); page.mouse.up()
    assert len(page.evaluate("model.get('boxes')")) == 1
    # Python answers the new box with the object's mask (the stroke kept), as DragCanvas._box_added does
    page.evaluate("(s) => model.remote('mask_data', b64ToDataView(s))", _object_mask_b64(20, 20, 44, 44, _mask_of(page)))
    page.wait_for_timeout(50)
    assert page.evaluate("maskOf('mask_data')") == stroke + 24 * 24
    assert "1 box" in page.inner_text(".dw-status")
    page.click("button.dw-undo")  # ONE press: box and its mask gone, the stroke stays
    assert page.evaluate("model.get('boxes')") == [] and page.evaluate("maskOf('mask_data')") == stroke
    page.click("button.dw-redo")
    assert len(page.evaluate("model.get('boxes')")) == 1 and page.evaluate("maskOf('mask_data')") == stroke + 24 * 24
    page.locator(".dw-root").focus()  # the Redo button, now disabled, dropped the focus
    page.keyboard.press("Control+Z")
    page.keyboard.press("Control+Z")  # the second press undoes the stroke, not half of the box
    assert page.evaluate("maskOf('mask_data')") == 0 and page.locator("button.dw-undo").is_disabled()


def test_a_box_added_from_python_is_one_undo_step_too(page):
    page.evaluate("() => model.remote('box_masking', true)")
    page.evaluate("() => model.remote('boxes', [[10, 10, 30, 30]])")
    page.wait_for_timeout(20)  # Python's mask arrives in a later message
    page.evaluate("(s) => model.remote('mask_data', b64ToDataView(s))", _object_mask_b64(12, 12, 28, 28))
    page.wait_for_timeout(50)
    assert page.evaluate("maskOf('mask_data')") == 16 * 16
    page.click("button.dw-undo")
    assert page.evaluate("model.get('boxes')") == [] and page.evaluate("maskOf('mask_data')") == 0
    assert page.locator("button.dw-undo").is_disabled()


def test_without_box_masking_a_later_mask_change_is_its_own_step(page):
    box = _stage_box(page)
    page.click("button.dw-tool-box")
    page.mouse.move(*_at(box, 18, 18)); page.mouse.down(); page.mouse.move(*_at(box, 46, 46)); page.mouse.up()
    page.evaluate("(s) => model.remote('mask_data', b64ToDataView(s))", _object_mask_b64(20, 20, 44, 44))
    page.wait_for_timeout(50)
    page.click("button.dw-undo")  # the mask set from Python is a step of its own: the box stays
    assert len(page.evaluate("model.get('boxes')")) == 1 and page.evaluate("maskOf('mask_data')") == 0
    page.click("button.dw-undo")
    assert page.evaluate("model.get('boxes')") == []


def _mask_of(page) -> np.ndarray:
    data = page.evaluate("""() => { const v = model.get('mask_data');
        return Array.from(new Uint8Array(v.buffer, v.byteOffset, v.byteLength)); }""")
    return np.asarray(data, np.uint8).reshape(64, 64)
