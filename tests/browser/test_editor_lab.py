"""The quickstart notebook's editor in a real JupyterLab, driven like a user (Debian chromium via Playwright).

Draw a mask stroke, box an object (one Undo removes the box and the mask the kernel added for it), add two point
pairs and undo one, run an edit on the embedded model while watching the progress and the result change, then
press Cancel during a second run and check the app is usable again.
Screenshots of each step land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import pathlib
import re
import time

import numpy as np
import pytest
from jupyter_harness import LAB4, NOTEBOOK7, click_at, drag, open_page, serve_notebook, wait_for_widget, wait_text

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "01_quickstart.ipynb"
QUICKSTART_CELLS = (1, 3)  # the install cell (a no-op outside Colab), then `app = dw.EditorApp(); app`


def _serve(jupyter, front_end):
    """``front_end``'s server serving a copy of the quickstart notebook, cleared: the live editor the cells make is
    the one under test, not the saved widgets of the committed outputs."""
    with serve_notebook(jupyter, front_end, "editor_lab_quickstart.ipynb", copy_of=NOTEBOOK,
                        clear_outputs=True) as s:
        yield s


@pytest.fixture(scope="module")
def lab(jupyter):
    yield from _serve(jupyter, LAB4)


@pytest.fixture(scope="module")
def notebook7(jupyter):
    yield from _serve(jupyter, NOTEBOOK7)


def _object_box() -> tuple[float, float, float, float]:
    """A box around the demo scene's first object (with a margin), as fractions of the canvas."""
    from dragon_widgets.widgets._scene import builtin_shape_masks

    ys, xs = np.nonzero(builtin_shape_masks()[0])
    pad = 2
    return ((xs.min() - pad) / 64, (ys.min() - pad) / 64, (xs.max() + 1 + pad) / 64, (ys.max() + 1 + pad) / 64)


def _mask_px(status) -> int:
    return int(re.search(r"mask (\d+) px", status.inner_text()).group(1))


def _open_editor(browser, served, artifacts, viewport):
    opened = open_page(browser, served, viewport, QUICKSTART_CELLS)
    return opened, wait_for_widget(opened, ".dw-editor-app", artifacts, served.name)


def test_quickstart_editor_draw_run_cancel(lab, browser, artifacts):
    opened, app = _open_editor(browser, lab, artifacts, {"width": 1500, "height": 1600})
    page = opened.page
    canvas = app.locator(".dw-canvas").first
    stage = canvas.locator(".dw-stage")
    status = canvas.locator(".dw-status")
    stage.wait_for()
    wait_text(status, r"64×64 px")
    page.screenshot(path=str(artifacts / "01_opened.png"))

    # 1. a mask stroke with the brush (mouse events)
    canvas.locator("button.dw-tool-brush").click()
    drag(page, stage, [(0.15, 0.5), (0.35, 0.52), (0.55, 0.5), (0.75, 0.48)])
    text = wait_text(status, r"mask [1-9]\d* px")
    stroke_px = int(re.search(r"mask (\d+) px", text).group(1))
    assert stroke_px > 30
    app.screenshot(path=str(artifacts / "02_mask_stroke.png"))

    # 1b. a box around an object: the kernel adds the object to the mask; ONE Undo removes the box and that mask
    x0, y0, x1, y1 = _object_box()
    canvas.locator("button.dw-tool-box").click()
    drag(page, stage, [(x0, y0), (x1, y1)])
    wait_text(status, r"1 box")
    deadline = time.time() + 60
    while _mask_px(status) <= stroke_px and time.time() < deadline:  # the kernel's mask arrives after the box
        time.sleep(0.1)
    assert _mask_px(status) > stroke_px, status.inner_text()
    app.screenshot(path=str(artifacts / "02b_box_mask.png"))
    canvas.locator("button.dw-undo").click()
    text = wait_text(status, rf"mask {stroke_px} px")
    assert "box" not in text  # one press removed both

    # 2. two handle→target pairs in Drag mode, then undo one. Move's stroke is its object mask: Drag keeps its own
    # editable region (empty here: the drag may change a default region around its points)
    app.get_by_role("button", name="Drag", exact=True).click()
    canvas.locator("button.dw-tool-points").wait_for()
    wait_text(status, r"mask 0 px")
    canvas.locator("button.dw-tool-points").click()
    click_at(page, stage, 0.40, 0.50)
    click_at(page, stage, 0.55, 0.40)
    drag(page, stage, [(0.25, 0.55), (0.30, 0.65)])
    wait_text(status, r"2 point pairs")
    app.screenshot(path=str(artifacts / "03_two_pairs.png"))
    # keyboard undo/redo reach the canvas inside JupyterLab (not Lab's own shortcuts), then the button
    page.keyboard.press("Control+z")
    wait_text(status, r"1 point pair\b")
    page.keyboard.press("Control+Shift+z")
    wait_text(status, r"2 point pairs")
    assert page.locator(".jp-Notebook .jp-Cell").count() >= 9  # Lab did not undo/redo a cell operation
    canvas.locator("button.dw-undo").click()
    wait_text(status, r"1 point pair\b")
    app.screenshot(path=str(artifacts / "04_undo_one_pair.png"))
    app.get_by_role("button", name="Move", exact=True).click()  # the stroke is back, untouched by the undo
    wait_text(status, rf"mask {stroke_px} px")
    app.get_by_role("button", name="Drag", exact=True).click()  # and the pair is still Drag's
    text = wait_text(status, r"1 point pair\b")
    assert "mask 0 px" in text

    # 3. run the edit on the embedded model: progress moves, the result image changes
    compare = app.locator(".dw-compare-pair")  # side by side, the default view
    before = compare.screenshot()
    app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
    run = app.get_by_role("button", name="Run")
    cancel = app.get_by_role("button", name="Cancel")
    run.click()
    wait_text(app_status, r"step \d+/\d+", timeout=240)
    page.screenshot(path=str(artifacts / "05_progress.png"))
    assert cancel.is_enabled() and run.is_disabled()
    wait_text(app_status, r"^Done", timeout=600)
    after = compare.screenshot()
    assert after != before, "the before/after view did not change"
    assert app.locator(".dw-compare img.dw-after").get_attribute("src").startswith("blob:")
    page.screenshot(path=str(artifacts / "06_result.png"))
    assert app.locator(".widget-html ol li").count() == 1  # one history entry
    assert "Drag" in app.locator(".widget-html ol li").first.inner_text()

    # 4. a second run, cancelled while it runs (the kernel must read the click mid-edit)
    run.click()
    wait_text(app_status, r"step \d+/\d+", timeout=240)
    page.screenshot(path=str(artifacts / "07_second_run.png"))
    assert cancel.is_enabled()
    cancel.click()
    wait_text(app_status, r"^Cancel", timeout=60)  # "Cancelling…" as soon as the kernel reads the click
    wait_text(app_status, r"^Cancelled", timeout=120)
    page.screenshot(path=str(artifacts / "08_cancelled.png"))
    assert run.is_enabled() and cancel.is_disabled()
    wait_text(status, r"1 point pair\b")  # the drawing is intact
    # usable again: the canvas still takes strokes and they reach the kernel's state
    canvas.locator("button.dw-tool-brush").click()
    drag(page, stage, [(0.1, 0.1), (0.2, 0.1)])
    wait_text(status, r"mask \d+ px")
    assert app.locator(".widget-html ol li").count() == 1  # the cancelled run left no history entry
    page.screenshot(path=str(artifacts / "09_usable_again.png"))
    assert not opened.errors, opened.errors
    opened.ctx.close()


def test_quickstart_editor_in_notebook7(notebook7, browser, artifacts):
    """The same editor in Notebook 7: it renders, takes a stroke and a point pair, and runs an edit."""
    opened, app = _open_editor(browser, notebook7, artifacts, {"width": 1400, "height": 1600})
    page = opened.page
    canvas = app.locator(".dw-canvas").first
    stage, status = canvas.locator(".dw-stage"), canvas.locator(".dw-status")
    stage.wait_for()
    canvas.locator("button.dw-tool-brush").click()
    drag(page, stage, [(0.2, 0.3), (0.6, 0.3)])
    wait_text(status, r"mask [1-9]\d* px")
    app.get_by_role("button", name="Drag", exact=True).click()
    canvas.locator("button.dw-tool-points").click()
    click_at(page, stage, 0.3, 0.3)
    click_at(page, stage, 0.4, 0.2)
    wait_text(status, r"1 point pair\b")
    app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
    app.get_by_role("button", name="Run").click()
    wait_text(app_status, r"^Done", timeout=600)
    page.screenshot(path=str(artifacts / "notebook7_result.png"))
    (artifacts / "page_errors.txt").write_text("\n\n".join(opened.errors))
    assert not opened.ours(), opened.ours()
    opened.ctx.close()
