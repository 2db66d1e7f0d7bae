"""The editor's layout, your own image and Cancel in every front end (Debian chromium via Playwright).

JupyterLab 4, Notebook 7 and the ipywidgets 7 ones (classic Notebook 6.5 with ipywidgets 7.7 and 7.8, JupyterLab
3.6; see jupyter_harness). At 1440×900 in Move mode the canvas sits left of the controls and the canvas, Run and
the result are all inside the viewport at once; labels are whole and nothing scrolls sideways. An image file
dropped on the canvas (a DataTransfer drop event) becomes the image, with Undo back to the old one; an oversized
or broken file is refused with a message. A run cancelled midway leaves the previous result in the preview.
Screenshots of each step land in test-artifacts/browser/<test>/ (printed by the tests).
"""

from __future__ import annotations

import base64
import io

import numpy as np
import pytest
from jupyter_harness import ALL_FRONT_ENDS, drag, open_editor, serve_notebook, wait_text
from PIL import Image

VIEWPORT = {"width": 1440, "height": 900}
# the embedded model with fewer steps: a run takes seconds on a CPU, long enough to press Cancel midway
APP_CELL = """import dragon_widgets as dw
fast = dw.get_preset("embedded").replace(name="browser-fast", num_steps=16, guided_until=10, dense_until=4,
                                         time_travel_steps=(), sde_window=(4, 8), ip_window=(4, 8), preview_every=1)
app = dw.EditorApp(preset=fast)
app"""


@pytest.fixture(scope="module", params=ALL_FRONT_ENDS, ids=str)
def served(request, jupyter):
    """A running front end serving a notebook whose one cell shows the editor."""
    with serve_notebook(jupyter, request.param, "editor_layout.ipynb", [APP_CELL]) as s:
        yield s


def _open(browser, served, artifacts):
    print(f"\nscreenshots: {artifacts}")
    opened, app = open_editor(browser, served, artifacts, VIEWPORT)
    return opened.ctx, opened.page, app, opened


def _png(w: int, h: int) -> bytes:
    yy, xx = np.mgrid[0:h, 0:w]
    arr = np.stack([xx * 6 % 256, yy * 8 % 256, np.full_like(xx, 90)], -1).astype(np.uint8)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


DROP_JS = """(stage, [b64, name, type, pad]) => {
    let bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    if (pad) { const big = new Uint8Array(pad); big.set(bytes); bytes = big; }
    const dt = new DataTransfer();
    dt.items.add(new File([bytes], name, { type }));
    for (const t of ["dragenter", "dragover", "drop"])
        stage.dispatchEvent(new DragEvent(t, { bubbles: true, cancelable: true, dataTransfer: dt }));
}"""


PASTE_JS = """(root, b64) => {
    const dt = new DataTransfer();
    dt.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], "pasted.png", { type: "image/png" }));
    root.dispatchEvent(new ClipboardEvent("paste", { clipboardData: dt, bubbles: true, cancelable: true }));
}"""


def _drop(stage, data: bytes, name: str, mime: str = "image/png", pad: int = 0) -> None:
    stage.evaluate(DROP_JS, [base64.b64encode(data).decode(), name, mime, pad])


def _draw_mask_and_arrow(page, canvas) -> None:
    """A brush stroke across the middle and an arrow from it: a Move edit ready to run."""
    stage = canvas.locator(".dw-stage")
    canvas.locator("button.dw-tool-brush").click()
    drag(page, stage, [(0.15, 0.5), (0.35, 0.52), (0.55, 0.5)])
    wait_text(canvas.locator(".dw-status"), r"mask [1-9]\d* px")
    canvas.locator("button.dw-tool-arrow").click()
    drag(page, stage, [(0.35, 0.5), (0.55, 0.4)])
    wait_text(canvas.locator(".dw-status"), r"arrow")


def _app_status(page, app):
    return app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))


SCROLL_JS = """([el, top]) => {  // scroll el's notebook scroller so that viewport y `top` sits at its visible top
    let s = el.parentElement;
    while (s && s !== document.body && !(['auto', 'scroll'].includes(getComputedStyle(s).overflowY)
                                         && s.scrollHeight > s.clientHeight)) s = s.parentElement;
    const doc = !s || s === document.body;
    const visibleTop = doc ? 0 : s.getBoundingClientRect().top + s.clientTop;
    const visibleBottom = doc ? innerHeight : Math.min(innerHeight, visibleTop + s.clientHeight);
    (doc ? document.scrollingElement : s).scrollTop += top - visibleTop;
    return {scroller: doc ? 'document' : (s.id || s.className),
            visible: [Math.round(visibleTop), Math.round(visibleBottom)]};
}"""

# True when every corner of el (inset 2 px) shows el itself: inside the viewport, not clipped by a scroller,
# not under the host page's fixed header or toolbar.
SEEN_JS = """el => { const r = el.getBoundingClientRect();
    return [[r.left + 2, r.top + 2], [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2], [r.right - 2, r.bottom - 2]]
        .every(([x, y]) => { const hit = document.elementFromPoint(x, y); return !!hit && el.contains(hit); }); }"""


def test_layout_at_1440x900_canvas_run_and_result_visible_together(browser, served, artifacts):
    """Move mode at 1440×900: one scroll position shows the canvas, Run and the result whole, beside each other."""
    name = served.name
    ctx, page, app, opened = _open(browser, served, artifacts)
    parts = {"canvas": app.locator(".dw-canvas .dw-stage").first, "Run": app.get_by_role("button", name="Run"),
             "result": app.locator(".dw-compare-pair"), "preview": app.locator(".dw-preview-cell img")}
    top = min(loc.bounding_box()["y"] for loc in parts.values())
    scroller = page.evaluate(SCROLL_JS, [app.element_handle(), top - 4])  # as a user would scroll to see them
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / f"{name}_layout_1440x900.png"))
    boxes = {what: loc.bounding_box() for what, loc in parts.items()}
    stage, run, result = boxes["canvas"], boxes["Run"], boxes["result"]
    figures = {"app width": round(app.bounding_box()["width"]), **scroller,
               **{what: {k: round(v) for k, v in box.items()} for what, box in boxes.items()}}
    (artifacts / f"{name}_layout_1440x900.txt").write_text(f"{figures}\n")
    print(f"{name}: {figures}")
    # controls + result to the right of the canvas, not below it
    assert run["x"] >= stage["x"] + stage["width"] and result["x"] >= stage["x"] + stage["width"], \
        f"{name}: the controls wrap below the canvas: {figures}"
    assert run["y"] < stage["y"] + stage["height"], figures
    for what, loc in parts.items():
        assert loc.evaluate(SEEN_JS), f"{name}: the {what} is not all visible at 1440×900 in Move mode: {figures}"
    # full labels, and nothing in the app overflows sideways (no stray horizontal scrollbar)
    cut = app.evaluate("""el => [...el.querySelectorAll('button, .widget-toggle-button')]
        .filter(b => b.offsetParent && b.scrollWidth > b.clientWidth + 1).map(b => b.textContent.trim())""")
    assert not cut, f"{name}: labels cut: {cut}"
    labels = app.evaluate("el => [...el.querySelectorAll('.widget-toggle-button')].map(b => b.textContent.trim())")
    assert "Appearance" in labels and "Landmarks" in labels
    overflow = app.evaluate("""el => [el, ...el.querySelectorAll('*')]
        .filter(e => e.offsetParent && e.scrollWidth > e.clientWidth + 1
                && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX))
        .map(e => `${e.className} ${e.scrollWidth}>${e.clientWidth}`)""")
    assert not overflow, f"{name}: horizontal scrollbars: {overflow}"
    app_box = app.bounding_box()
    assert app_box["x"] + app_box["width"] <= VIEWPORT["width"]
    # the page itself does not scroll sideways either
    assert page.evaluate("document.scrollingElement.scrollWidth <= innerWidth"), f"{name}: the page scrolls sideways"
    # narrower than the breakpoint: stacked, still without sideways scrolling
    page.set_viewport_size({"width": 900, "height": 900})
    page.wait_for_timeout(800)
    stage, run = parts["canvas"].bounding_box(), parts["Run"].bounding_box()
    page.screenshot(path=str(artifacts / f"{name}_layout_900_stacked.png"), full_page=True)
    assert run["y"] >= stage["y"] + stage["height"], f"{name}: not stacked at 900 px: {stage} {run}"
    assert not opened.ours(), opened.ours()
    ctx.close()


def test_dropping_an_image_file_on_the_canvas_loads_it_with_undo(browser, served, artifacts):
    name = served.name
    ctx, page, app, opened = _open(browser, served, artifacts)
    canvas = app.locator(".dw-canvas").first
    stage, status = canvas.locator(".dw-stage"), canvas.locator(".dw-status")
    app_status = _app_status(page, app)
    wait_text(status, r"64×64 px")
    _draw_mask_and_arrow(page, canvas)  # Undo must bring the drawing back with the old image
    assert canvas.locator("button.dw-open").is_visible()  # the file picker's button

    _drop(stage, _png(80, 60), "my_photo.png")
    wait_text(status, r"80×60 px · mask 0 px")
    wait_text(app_status, r"Loaded my_photo\.png \(80×60 px\)")
    page.screenshot(path=str(artifacts / f"{name}_dropped.png"))

    _drop(stage, b"GIF89a but not really", "broken.png")  # a broken file: refused, the image stays
    wait_text(app_status, r"broken\.png.*(not an image|could not be read)")
    assert "dw-status-danger" in app_status.inner_html()
    wait_text(status, r"broken\.png")
    _drop(stage, _png(8, 8), "huge.png", pad=21 * 1024 * 1024)  # over the limit: refused in the page
    wait_text(status, r"huge\.png is 21\.0 MB; images up to 20\.0 MB")
    page.screenshot(path=str(artifacts / f"{name}_refused.png"))

    app.locator("button.dw-wide-button").filter(has_text="Undo").click()  # the app's, not the canvas's ↶ Undo
    wait_text(status, r"64×64 px · mask [1-9]\d* px")  # the old image with its drawing
    wait_text(app_status, r"previous image")
    page.screenshot(path=str(artifacts / f"{name}_undo_load.png"))
    # pasting an image (a clipboard event on the focused canvas) loads it the same way
    canvas.evaluate(PASTE_JS, base64.b64encode(_png(50, 40)).decode())
    wait_text(status, r"50×40 px · mask 0 px")
    wait_text(app_status, r"Loaded pasted\.png \(50×40 px\)")
    assert not opened.ours(), opened.ours()
    ctx.close()


def test_cancel_leaves_the_previous_result_in_the_preview(browser, served, artifacts):
    name = served.name
    ctx, page, app, opened = _open(browser, served, artifacts)
    canvas = app.locator(".dw-canvas").first
    app_status = _app_status(page, app)
    _draw_mask_and_arrow(page, canvas)
    run, cancel = app.get_by_role("button", name="Run"), app.get_by_role("button", name="Cancel")
    preview = app.locator(".dw-preview-cell img")
    run.click()
    text = wait_text(app_status, r"^Done", timeout=600)
    assert "inversion" in text and "edit" in text
    page.wait_for_timeout(500)
    result_shot = preview.screenshot()
    page.screenshot(path=str(artifacts / f"{name}_first_result.png"))

    run.click()
    wait_text(app_status, r"Editing… step [2-9]/", timeout=300)  # the run's x̂0 is in the preview now
    page.screenshot(path=str(artifacts / f"{name}_second_run.png"))
    cancel.click()
    wait_text(app_status, r"^Cancelled", timeout=120)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / f"{name}_cancelled.png"))
    # the same picture (compared as pixels: a status line of another length moves the preview, and a screenshot at
    # another offset may differ by a grey level of resampling; the cancelled run's noisy x̂0 differs by far more)
    shown, kept = (np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), float) for png in (preview.screenshot(),
                                                                                             result_shot))
    assert shown.shape == kept.shape and np.abs(shown - kept).mean() < 2.0, \
        "the preview does not show the previous result after Cancel"
    assert run.is_enabled() and cancel.is_disabled()
    assert not opened.ours(), opened.ours()
    ctx.close()
