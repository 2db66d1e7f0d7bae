"""Inspect in place, in every front end (Debian chromium via Playwright): JupyterLab 4, Notebook 7 and the
ipywidgets 7 ones (classic Notebook 6.5 with ipywidgets 7.7 and 7.8, JupyterLab 3.6; see jupyter_harness).

A notebook opens the editor on the embedded model (a 10-step preset so the run is short) with an object and an
arrow already drawn; the test picks the "gradient map" trace level under Advanced, presses Run in the page,
checks the metrics line under the result, presses Inspect and checks the inspector renders the run's
trace (its step count, the x̂₀ view, the energy panel, the gradient maps) and follows the scrubber.
Screenshots land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re
import time

import pytest
from jupyter_harness import ALL_FRONT_ENDS, SLIDER_TRACK, open_page, serve_notebook, wait_for_widget, wait_text

STEPS = 10  # + 1 time-travel repeat of step 4 = 11 recorded steps

NOTEBOOK_CODE = f"""
import dragon_widgets as dw
from dragon_widgets.widgets._scene import builtin_shape_masks
preset = dw.get_preset("embedded").replace(name="browser-fast", num_steps={STEPS}, guided_until=6, dense_until=2,
                                           time_travel_steps=(4,), time_travel_rounds=2, sde_window=(2, 5),
                                           ip_window=(2, 5), preview_every=2)
app = dw.EditorApp(preset=preset)
app.canvas.mask = builtin_shape_masks()[0]
app.canvas.arrow = [[20, 20], [28, 24]]
app
"""


@pytest.fixture(scope="module", params=ALL_FRONT_ENDS, ids=str)
def served(request, jupyter):
    with serve_notebook(jupyter, request.param, "editor_inspect.ipynb", [NOTEBOOK_CODE]) as s:
        yield s


def _wait_drawn(canvas, timeout: float = 60.0) -> bytes:
    from io import BytesIO

    from PIL import Image

    deadline = time.time() + timeout
    while True:
        png = canvas.screenshot()
        if len(Image.open(BytesIO(png)).convert("RGB").getcolors(1 << 16) or []) > 8:
            return png
        if time.time() > deadline:
            raise AssertionError(f"{canvas} stayed blank for {timeout} s")
        time.sleep(0.5)


def test_run_then_metrics_line_then_inspect_round_trip(served, browser, artifacts):
    name = served.name
    opened = open_page(browser, served, {"width": 1440, "height": 1800})
    page = opened.page
    app = wait_for_widget(opened, ".dw-editor-app", artifacts, name)
    inspect_button = app.locator(".dw-inspect-toggle")
    inspect_button.wait_for()
    assert inspect_button.is_disabled()  # nothing to inspect before a run
    page.screenshot(path=str(artifacts / f"{name}_01_opened.png"))

    app.get_by_role("button", name="Advanced ▸").click()
    level = app.locator(".dw-inspect-level select")
    level.wait_for(state="visible")
    level.select_option(index=1)  # "+ per-term gradients"
    wait_text(app.locator(".dw-inspect-level-hint"), r"gradient map per energy term")
    fits = level.evaluate("""s => { const c = document.createElement('canvas').getContext('2d');
        c.font = getComputedStyle(s).font;  // the chosen entry's text fits the menu beside its arrow
        return c.measureText(s.options[s.selectedIndex].text).width <= s.clientWidth - 20; }""")
    assert fits, f"{name}: the level menu's entry is cut"
    app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
    app.get_by_role("button", name="Run").click()
    wait_text(app_status, r"^Done", timeout=600)

    # the metrics line under the result
    metrics = app.locator(".dw-metrics")
    metrics.wait_for(state="visible", timeout=60_000)
    text = metrics.inner_text()
    assert re.search(r"Background outside the edit \(\d+ % of the image\): PSNR \d+\.\d dB|unchanged", text), text
    result, line = app.locator(".dw-compare-pair").bounding_box(), metrics.bounding_box()
    assert line["y"] >= result["y"] + result["height"] - 1, f"{name}: the metrics line is not under the result"
    page.screenshot(path=str(artifacts / f"{name}_02_result_with_metrics.png"))

    # Inspect: the inspector of this run, in place
    assert inspect_button.is_enabled()
    inspect_button.click()
    inspector = app.locator(".dw-inspect .dw-inspector")
    inspector.wait_for(state="visible", timeout=120_000)
    n = STEPS + 1
    wait_text(app.locator(".dw-inspect"), rf"{n} recorded steps")
    # the scrubber's label: the inspector opens at the trace's last guided step (its least noisy guided x̂₀)
    opened_at = re.search(rf"\((\d+)/{n}\)", wait_text(inspector, rf"\(\d+/{n}\)")).group(1)
    assert int(opened_at) > 1
    step_view = inspector.locator(".dw-step-view canvas").first
    before = _wait_drawn(step_view)
    energy = inspector.locator(".dw-energy-panel")
    energy.wait_for(state="visible")
    assert energy.get_attribute("data-step") == str(int(opened_at) - 1)
    assert inspector.locator(".dw-gradient-map canvas").count() >= 1
    inspector.screenshot(path=str(artifacts / f"{name}_03_inspector_opened.png"))
    track = inspector.locator(SLIDER_TRACK).bounding_box()
    page.mouse.click(track["x"] + track["width"] * 0.05, track["y"] + track["height"] / 2)
    wait_text(inspector, rf"\((?!{opened_at}/)\d+/{n}\)")
    deadline = time.time() + 60
    while step_view.screenshot() == before:  # the x̂₀ of another step is drawn
        assert time.time() < deadline, "the step view did not follow the scrubber"
        time.sleep(0.3)
    assert energy.get_attribute("data-step") not in (None, str(int(opened_at) - 1))
    page.screenshot(path=str(artifacts / f"{name}_04_inspector_scrubbed.png"), full_page=True)

    # closing Inspect hides the panels again
    inspect_button.click()
    inspector.wait_for(state="hidden", timeout=60_000)
    (artifacts / f"{name}_page_errors.txt").write_text("\n\n".join(opened.errors))
    assert not opened.ours(), opened.ours()
    opened.ctx.close()
