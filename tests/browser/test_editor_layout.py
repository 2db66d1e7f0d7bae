"""The editor's layout, your own image and Cancel in JupyterLab 4 and Notebook 7 (Debian chromium via Playwright).

At 1440×900 in Move mode the canvas sits left of the controls and the canvas, Run and the result are all inside
the viewport at once; labels are whole and nothing scrolls sideways. An image file dropped on the canvas (a
DataTransfer drop event) becomes the image, with Undo back to the old one; an oversized or broken file is refused
with a message. A run cancelled midway leaves the previous result in the preview. Screenshots of each step land
in test-artifacts/browser/<test>/ (printed by the tests).
"""

from __future__ import annotations

import base64
import io
import json
import pathlib
import re
import time

import numpy as np
import pytest
from jupyter_harness import jupyter_server, wait_kernel_idle
from PIL import Image

TOKEN = "dw-layout-test"
VIEWPORT = {"width": 1440, "height": 900}
# the embedded model with fewer steps: a run takes seconds on a CPU, long enough to press Cancel midway
APP_CELL = """import dragon_widgets as dw
fast = dw.get_preset("embedded").replace(name="browser-fast", num_steps=16, guided_until=10, dense_until=4,
                                         time_travel_steps=(), sde_window=(4, 8), ip_window=(4, 8), preview_every=1)
app = dw.EditorApp(preset=fast)
app"""


def _notebook(root: pathlib.Path) -> None:
    cell = {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
            "source": APP_CELL.splitlines(keepends=True)}
    nb = {"cells": [cell], "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                       "language": "python"}}, "nbformat": 4, "nbformat_minor": 5}
    (root / "editor.ipynb").write_text(json.dumps(nb))


@pytest.fixture(scope="module", params=["lab", "notebook7"])
def front_end(request, tmp_path_factory):
    """(name, base URL, notebook path) of a running JupyterLab 4 or Notebook 7 serving editor.ipynb."""
    root = tmp_path_factory.mktemp(request.param)
    _notebook(root)
    app = "lab" if request.param == "lab" else "notebook"
    path = "/lab/tree/editor.ipynb" if app == "lab" else "/notebooks/editor.ipynb"
    with jupyter_server(app, root, TOKEN) as base:
        yield request.param, base, path


def _wait_text(locator, pattern: str, timeout: float = 120.0) -> str:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = locator.inner_text()
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {pattern!r}; last text: {text!r}")


def _open(browser, front_end, artifacts):
    name, base, path = front_end
    print(f"\nscreenshots: {artifacts}")
    ctx = browser.new_context(viewport=VIEWPORT)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"{e}\n{getattr(e, 'stack', '')}"))
    page.goto(f"{base}{path}?token={TOKEN}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
    wait_kernel_idle(base, TOKEN)
    page.locator(".jp-Notebook .jp-Cell").first.click()
    page.keyboard.press("Shift+Enter")
    app = page.locator(".dw-editor-app")
    app.wait_for(timeout=240_000)
    app.locator(".dw-canvas .dw-stage").first.wait_for()
    page.wait_for_function("(() => { const i = document.querySelector('.dw-editor-app img.dw-side-before');"
                           " return i && i.complete && i.naturalWidth > 0; })()", timeout=60_000)
    return ctx, page, app, errors


def _ours(errors: list[str]) -> list[str]:
    # Notebook 7.6's own core bundle throws a settings-schema TypeError on a fresh config dir
    return [e for e in errors if "/static/notebook/notebook_core." not in e or "blob:" in e or "anywidget" in e]


def _inside(box: dict, vw: int, vh: int) -> bool:
    return box["x"] >= 0 and box["y"] >= 0 and box["x"] + box["width"] <= vw and box["y"] + box["height"] <= vh


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


def test_layout_at_1440x900_canvas_run_and_result_visible_together(browser, front_end, artifacts):
    name = front_end[0]
    ctx, page, app, errors = _open(browser, front_end, artifacts)
    app.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)
    page.screenshot(path=str(artifacts / f"{name}_layout_1440x900.png"))
    stage = app.locator(".dw-canvas .dw-stage").first.bounding_box()
    run = app.get_by_role("button", name="Run").bounding_box()
    result = app.locator(".dw-compare-pair").bounding_box()
    preview = app.locator(".dw-preview-cell img").bounding_box()
    vw, vh = VIEWPORT["width"], VIEWPORT["height"]
    for what, box in (("canvas", stage), ("Run", run), ("result", result), ("preview", preview)):
        assert _inside(box, vw, vh), f"{name}: the {what} lies outside the 1440×900 viewport: {box}"
    # controls + result to the right of the canvas, not below it
    assert run["x"] >= stage["x"] + stage["width"] and result["x"] >= stage["x"] + stage["width"]
    assert run["y"] < stage["y"] + stage["height"]
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
    assert app_box["x"] + app_box["width"] <= vw
    # narrower than the breakpoint: stacked, still without sideways scrolling
    page.set_viewport_size({"width": 900, "height": 900})
    page.wait_for_timeout(800)
    stage, run = app.locator(".dw-canvas .dw-stage").first.bounding_box(), app.get_by_role("button", name="Run").bounding_box()
    page.screenshot(path=str(artifacts / f"{name}_layout_900_stacked.png"), full_page=True)
    assert run["y"] >= stage["y"] + stage["height"], f"{name}: not stacked at 900 px: {stage} {run}"
    assert not _ours(errors), _ours(errors)
    ctx.close()


def test_dropping_an_image_file_on_the_canvas_loads_it_with_undo(browser, front_end, artifacts):
    name = front_end[0]
    ctx, page, app, errors = _open(browser, front_end, artifacts)
    canvas = app.locator(".dw-canvas").first
    stage, status = canvas.locator(".dw-stage"), canvas.locator(".dw-status")
    app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
    _wait_text(status, r"64×64 px")
    # draw something first: Undo must bring it back with the old image
    canvas.locator("button.dw-tool-brush").click()
    box = stage.bounding_box()
    page.mouse.move(box["x"] + 0.2 * box["width"], box["y"] + 0.3 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.6 * box["width"], box["y"] + 0.3 * box["height"], steps=5)
    page.mouse.up()
    _wait_text(status, r"mask [1-9]\d* px")
    assert canvas.locator("button.dw-open").is_visible()  # the file picker's button

    _drop(stage, _png(80, 60), "my_photo.png")
    _wait_text(status, r"80×60 px · mask 0 px")
    _wait_text(app_status, r"Loaded my_photo\.png \(80×60 px\)")
    page.screenshot(path=str(artifacts / f"{name}_dropped.png"))

    _drop(stage, b"GIF89a but not really", "broken.png")  # a broken file: refused, the image stays
    _wait_text(app_status, r"broken\.png.*(not an image|could not be read)")
    assert "dw-status-danger" in app_status.inner_html()
    _wait_text(status, r"broken\.png")
    _drop(stage, _png(8, 8), "huge.png", pad=21 * 1024 * 1024)  # over the limit: refused in the page
    _wait_text(status, r"huge\.png is 21\.0 MB; images up to 20\.0 MB")
    page.screenshot(path=str(artifacts / f"{name}_refused.png"))

    app.locator("button.dw-wide-button").filter(has_text="Undo").click()  # the app's, not the canvas's ↶ Undo
    _wait_text(status, r"64×64 px · mask [1-9]\d* px")  # the old image with its drawing
    _wait_text(app_status, r"previous image")
    page.screenshot(path=str(artifacts / f"{name}_undo_load.png"))
    # pasting an image (a clipboard event on the focused canvas) loads it the same way
    canvas.evaluate(PASTE_JS, base64.b64encode(_png(50, 40)).decode())
    _wait_text(status, r"50×40 px · mask 0 px")
    _wait_text(app_status, r"Loaded pasted\.png \(50×40 px\)")
    assert not _ours(errors), _ours(errors)
    ctx.close()


def test_cancel_leaves_the_previous_result_in_the_preview(browser, front_end, artifacts):
    name = front_end[0]
    ctx, page, app, errors = _open(browser, front_end, artifacts)
    canvas = app.locator(".dw-canvas").first
    stage = canvas.locator(".dw-stage")
    app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))

    def drag(points):
        box = stage.bounding_box()
        xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
        page.mouse.move(*xy[0])
        page.mouse.down()
        for p in xy[1:]:
            page.mouse.move(*p, steps=4)
        page.mouse.up()

    canvas.locator("button.dw-tool-brush").click()
    drag([(0.15, 0.5), (0.35, 0.52), (0.55, 0.5)])
    canvas.locator("button.dw-tool-arrow").click()
    drag([(0.35, 0.5), (0.55, 0.4)])
    _wait_text(canvas.locator(".dw-status"), r"arrow")
    run, cancel = app.get_by_role("button", name="Run"), app.get_by_role("button", name="Cancel")
    preview = app.locator(".dw-preview-cell img")
    run.click()
    text = _wait_text(app_status, r"^Done", timeout=600)
    assert "inversion" in text and "edit" in text
    page.wait_for_timeout(500)
    result_shot = preview.screenshot()
    page.screenshot(path=str(artifacts / f"{name}_first_result.png"))

    run.click()
    _wait_text(app_status, r"Editing… step [2-9]/", timeout=300)  # the run's x̂0 is in the preview now
    page.screenshot(path=str(artifacts / f"{name}_second_run.png"))
    cancel.click()
    _wait_text(app_status, r"^Cancelled", timeout=120)
    page.wait_for_timeout(800)
    page.screenshot(path=str(artifacts / f"{name}_cancelled.png"))
    assert preview.screenshot() == result_shot, "the preview does not show the previous result after Cancel"
    assert run.is_enabled() and cancel.is_disabled()
    assert not _ours(errors), _ours(errors)
    ctx.close()
