"""Inspect in place, in a real JupyterLab 4 and Notebook 7 (Debian chromium via Playwright).

A notebook opens the editor on the embedded model (a 10-step preset so the run is short) with an object and an
arrow already drawn; the test picks the "gradient map" trace level under Advanced, presses Run in the page,
checks the metrics line under the result, presses Inspect and checks the inspector renders the run's
trace (its step count, the x̂₀ view, the energy panel, the gradient maps) and follows the scrubber.
Screenshots land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import pathlib
import re
import time

import nbformat
import pytest
from jupyter_harness import jupyter_server, wait_kernel_idle

REPO = pathlib.Path(__file__).resolve().parents[2]
TOKEN = "dw-inspect-test"
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

FRONT_ENDS = {"lab": ("lab", "/lab/tree/inspect.ipynb"), "notebook7": ("notebook", "/notebooks/inspect.ipynb")}


@pytest.fixture(scope="module", params=sorted(FRONT_ENDS))
def server(request, tmp_path_factory):
    app, path = FRONT_ENDS[request.param]
    root = tmp_path_factory.mktemp(request.param)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(NOTEBOOK_CODE.strip())])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(nb, root / "inspect.ipynb")
    with jupyter_server(app, root, TOKEN) as base:
        yield request.param, base, path


def _wait_text(locator, pattern: str, timeout: float = 120.0) -> str:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = locator.inner_text() if locator.count() else ""
        if re.search(pattern, text):
            return text
        time.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {pattern!r}; last text: {text!r}")


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


def test_run_then_metrics_line_then_inspect_round_trip(server, browser, artifacts):
    name, base, path = server
    ctx = browser.new_context(viewport={"width": 1440, "height": 1800})
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
    inspect_button = app.locator(".dw-inspect-toggle")
    inspect_button.wait_for()
    assert inspect_button.is_disabled()  # nothing to inspect before a run
    page.screenshot(path=str(artifacts / f"{name}_01_opened.png"))

    app.get_by_role("button", name="Advanced ▸").click()
    level = app.locator(".dw-inspect-level select")
    level.wait_for(state="visible")
    level.select_option(index=1)  # "+ gradient map per energy term"
    app_status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
    app.get_by_role("button", name="Run").click()
    _wait_text(app_status, r"^Done", timeout=600)

    # the metrics line under the result
    metrics = app.locator(".dw-metrics")
    metrics.wait_for(state="visible", timeout=60_000)
    text = metrics.inner_text()
    assert re.search(r"Background outside the edit \(\d+ % of the image\): PSNR \d+\.\d dB|unchanged", text), text
    page.screenshot(path=str(artifacts / f"{name}_02_result_with_metrics.png"))

    # Inspect: the inspector of this run, in place
    assert inspect_button.is_enabled()
    inspect_button.click()
    inspector = app.locator(".dw-inspect .dw-inspector")
    inspector.wait_for(state="visible", timeout=120_000)
    n = STEPS + 1
    _wait_text(app.locator(".dw-inspect"), rf"{n} recorded steps")
    _wait_text(inspector, rf"\(1/{n}\)")  # the scrubber's label: step 1 of the trace's 11
    step_view = inspector.locator(".dw-step-view canvas").first
    before = _wait_drawn(step_view)
    energy = inspector.locator(".dw-energy-panel")
    energy.wait_for(state="visible")
    assert inspector.locator(".dw-gradient-map canvas").count() >= 1
    inspector.screenshot(path=str(artifacts / f"{name}_03_inspector_step0.png"))
    track = inspector.locator(".dw-scrubber .noUi-target").bounding_box()
    page.mouse.click(track["x"] + track["width"] * 0.75, track["y"] + track["height"] / 2)
    _wait_text(inspector, rf"\((?!1/)\d+/{n}\)")
    deadline = time.time() + 60
    while step_view.screenshot() == before:  # the x̂₀ of another step is drawn
        assert time.time() < deadline, "the step view did not follow the scrubber"
        time.sleep(0.3)
    assert energy.get_attribute("data-step") not in (None, "0")
    page.screenshot(path=str(artifacts / f"{name}_04_inspector_scrubbed.png"), full_page=True)

    # closing Inspect hides the panels again
    inspect_button.click()
    inspector.wait_for(state="hidden", timeout=60_000)
    (artifacts / f"{name}_page_errors.txt").write_text("\n\n".join(errors))
    # Notebook 7.6's own core bundle throws a settings-schema TypeError on a fresh config dir (see test_editor_lab)
    ours = [e for e in errors if "/static/notebook/notebook_core." not in e or "blob:" in e or "anywidget" in e]
    assert not ours, ours
    ctx.close()
