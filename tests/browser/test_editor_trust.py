"""One meaning per mask and honest results, in a real browser: JupyterLab 4 and classic Notebook with ipywidgets 7.8
(Debian chromium via Playwright; see jupyter_harness).

Box the object in Move, switch to Drag: the canvas shows Drag's own (empty) editable region and the status says
the object mask is kept for Move; paint a region away from the handle, add a handle → target pair outside it and
press Run: the drag is refused before it runs, naming the points; back in Move the object mask is as boxed. A
second notebook loads a photo (the embedded model's limits are said once) and shows a result whose check found a
region changed outside the edit: the metrics line says so in words, not in green, and the preview boxes it in red.
Screenshots land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re
from io import BytesIO

import numpy as np
import pytest
from jupyter_harness import IPYW7, LAB4, click_at, drag, open_page, serve_notebook, wait_for_widget, wait_text

FRONT_ENDS = (LAB4, *(f for f in IPYW7 if f.name == "classic-7.8"))

SWITCH_CODE = """
import dragon_widgets as dw
app = dw.EditorApp()
app
"""

RESULT_CODE = """
import types
import numpy as np
import dragon_widgets as dw
app = dw.EditorApp()
yy, xx = np.mgrid[0:64, 0:64]
app.load_image(np.stack([xx * 4, yy * 4, (xx + yy) * 2], -1).astype(np.uint8))
limits = app.status_text
after = app.canvas.image_array
after[4:12, 40:48] = (0, 0, 255)
metrics = {"background_psnr": 21.5, "edited_fraction": 0.3, "invented_regions": 1, "invented_boxes": [[40, 4, 48, 12]],
           "measured_outside": "edit region"}
shown = types.SimpleNamespace(image=after, metrics=metrics, trace=None)
app.inspect_tab.set_result(shown)
app.preview.value = app._result_preview(shown)
app
"""


def _px(status) -> int:
    return int(re.search(r"mask (\d+) px", status.inner_text()).group(1))


def _mode(app, label: str):
    app.locator(".widget-toggle-buttons button", has_text=label).first.click()


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=str)
def test_move_mask_and_drag_region_stay_apart_and_a_drag_outside_is_refused(front_end, browser, jupyter, artifacts):
    from dragon_widgets.widgets._scene import builtin_shape_masks

    name = front_end.name
    with serve_notebook(jupyter, front_end, "editor_trust_switch.ipynb", [SWITCH_CODE]) as served:
        opened = open_page(browser, served, {"width": 1440, "height": 900})
        page = opened.page
        app = wait_for_widget(opened, ".dw-editor-app", artifacts, name)
        canvas = app.locator(".dw-canvas").first
        stage, status = canvas.locator(".dw-stage"), canvas.locator(".dw-status")
        stage.wait_for()
        app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))

        ys, xs = np.nonzero(builtin_shape_masks()[0])  # box the first object: its mask joins the object mask
        canvas.locator("button.dw-tool-box").click()
        drag(page, stage, [((xs.min() - 2) / 64, (ys.min() - 2) / 64), ((xs.max() + 3) / 64, (ys.max() + 3) / 64)])
        wait_text(status, r"mask [1-9]\d* px")
        boxed = _px(status)

        _mode(app, "Drag")
        wait_text(status, r"mask 0 px")  # Drag's own editable region, empty
        wait_text(app_status, r"object mask is kept for Move")
        page.screenshot(path=str(artifacts / f"{name}_01_drag.png"))
        canvas.locator("button.dw-tool-brush").click()
        drag(page, stage, [(0.05, 0.08), (0.25, 0.1), (0.3, 0.12)])  # a region in the top-left corner
        wait_text(status, r"mask [1-9]\d* px")
        canvas.locator("button.dw-tool-points").click()
        click_at(page, stage, 42.5 / 64, 44.5 / 64)
        click_at(page, stage, 42.5 / 64, 35.5 / 64)
        wait_text(status, r"1 point pair")
        app.get_by_role("button", name="Run").click()
        text = wait_text(app_status, r"outside the editable region")
        assert "handle 1" in text and "target 1" in text
        page.screenshot(path=str(artifacts / f"{name}_02_refused.png"))

        _mode(app, "Move")
        wait_text(status, rf"mask {boxed} px")  # the object mask as boxed, nothing of Drag's region merged in
        wait_text(app_status, r"editable region is kept for Drag")
        assert not opened.ours(), opened.ours()
        opened.ctx.close()


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=str)
def test_a_result_that_changed_something_outside_says_so_and_is_boxed(front_end, browser, jupyter, artifacts):
    from PIL import Image

    name = front_end.name
    with serve_notebook(jupyter, front_end, "editor_trust_result.ipynb", [RESULT_CODE]) as served:
        opened = open_page(browser, served, {"width": 1440, "height": 900})
        page = opened.page
        app = wait_for_widget(opened, ".dw-editor-app", artifacts, name)
        app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
        text = wait_text(app_status, r"small 64×64 model")
        assert "invents objects" in text and "load_pipeline" in text
        line = app.locator(".dw-metrics")
        line.wait_for(state="visible", timeout=60_000)
        assert line.inner_text().startswith("Warning: 1 region outside the edit changed strongly")
        color = line.evaluate("e => getComputedStyle(e).color")
        assert color != "rgb(27, 127, 59)", color  # never the success green
        preview = app.locator(".dw-preview-cell img").first
        preview.wait_for(state="visible")
        page.wait_for_timeout(500)
        shot = np.asarray(Image.open(BytesIO(preview.screenshot())).convert("RGB")).astype(int)
        red = (shot[..., 0] > 200) & (shot[..., 1] < 60) & (shot[..., 2] < 60)
        assert red.sum() > 50, f"{name}: no red box on the preview"
        page.screenshot(path=str(artifacts / f"{name}_result_check.png"))
        assert not opened.ours(), opened.ours()
        opened.ctx.close()


SEEN_JS = """el => { const r = el.getBoundingClientRect();
    return [[r.left + 2, r.top + 2], [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2], [r.right - 2, r.bottom - 2]]
        .every(([x, y]) => { const hit = document.elementFromPoint(x, y); return !!hit && el.contains(hit); }); }"""


@pytest.mark.parametrize("front_end", FRONT_ENDS, ids=str)
@pytest.mark.parametrize("mode", ["Paste", "Appearance"])
def test_reference_modes_fit_1440x900_and_advanced_opens_below_the_result(front_end, mode, browser, jupyter,
                                                                          artifacts):
    from PIL import Image

    name = f"{front_end.name}-{mode}"
    with serve_notebook(jupyter, front_end, f"editor_trust_{mode}.ipynb", [SWITCH_CODE]) as served:
        opened = open_page(browser, served, {"width": 1440, "height": 900})
        page = opened.page
        app = wait_for_widget(opened, ".dw-editor-app", artifacts, name)
        app.locator(".dw-canvas .dw-stage").first.wait_for()
        _mode(app, mode)
        reference = app.locator(".dw-reference-box .dw-stage").first
        reference.wait_for(state="visible")
        page.wait_for_timeout(800)
        parts = {"canvas": app.locator(".dw-canvas .dw-stage").first, "reference": reference,
                 "Run": app.get_by_role("button", name="Run"), "preview": app.locator(".dw-preview-cell img")}
        top = min(loc.bounding_box()["y"] for loc in parts.values())
        app.evaluate("""(el, top) => { let s = el.parentElement;
            while (s && s !== document.body && !(['auto', 'scroll'].includes(getComputedStyle(s).overflowY)
                                                 && s.scrollHeight > s.clientHeight)) s = s.parentElement;
            const doc = !s || s === document.body;
            (doc ? document.scrollingElement : s).scrollTop += top - (doc ? 0 : s.getBoundingClientRect().top); }""",
                     top - 4)
        page.wait_for_timeout(500)
        page.screenshot(path=str(artifacts / f"{name}_1440x900.png"))
        for what, loc in parts.items():
            assert loc.evaluate(SEEN_JS), f"{name}: the {what} is not all visible at 1440×900: " \
                f"{ {w: l.bounding_box() for w, l in parts.items()} }"
        for what in ("canvas", "reference"):  # resized for the mode, and still showing their images
            shot = np.asarray(Image.open(BytesIO(parts[what].screenshot())).convert("RGB")).reshape(-1, 3)
            assert len(np.unique(shot // 16, axis=0)) > 4 and not (shot == shot[0]).all(), f"{name}: the {what} is blank"
        result = app.locator(".dw-editor-result")
        y = result.bounding_box()["y"]
        app.get_by_role("button", name="Advanced ▸").click()
        app.locator(".widget-text, .widget-floattext").filter(has_text="w edit").first.wait_for(state="visible")
        page.wait_for_timeout(300)
        assert result.bounding_box()["y"] == pytest.approx(y, abs=1), f"{name}: opening Advanced moved the result"
        assert not opened.ours(), opened.ours()
        opened.ctx.close()
