"""The inspection panels in every front end (Debian chromium via Playwright): JupyterLab 4, Notebook 7 and the
ipywidgets 7 ones (classic Notebook 6.5 with ipywidgets 7.7 and 7.8, JupyterLab 3.6; see jupyter_harness).

For each front end a notebook builds the inspector on the fully known synthetic trace (engine record classes), runs in a
real kernel, and the test clicks the correspondence explorer and moves the scrubber like a lecturer would.
Screenshots before/after land in test-artifacts/browser/<test>/.
"""

from __future__ import annotations

import re

import pathlib
import time

import pytest
from jupyter_harness import ALL_FRONT_ENDS, SLIDER_TRACK, open_page, serve_notebook, wait_for_widget

REPO = pathlib.Path(__file__).resolve().parents[2]

NOTEBOOK_CODE = f"""
import sys
sys.path.insert(0, {str(REPO / "tests" / "inspect")!r})
from inspect_synthetic import make_trace
from dragon_widgets.widgets.panels import InspectorApp
app = InspectorApp(make_trace())
app
"""


@pytest.fixture(scope="module", params=ALL_FRONT_ENDS, ids=str)
def served(request, jupyter):
    """A running front end serving a notebook whose one cell shows the inspector."""
    with serve_notebook(jupyter, request.param, "panels.ipynb", [NOTEBOOK_CODE]) as s:
        yield s


@pytest.fixture(scope="module")
def page(browser, served):
    opened = open_page(browser, served, {"width": 1400, "height": 1800})
    shots = REPO / "test-artifacts" / "browser" / "panels_frontends"
    shots.mkdir(parents=True, exist_ok=True)
    wait_for_widget(opened, ".dw-inspector", shots, served.name)
    _wait_drawn(opened.page.locator(".dw-step-view canvas").first)
    yield opened.page
    assert not opened.ours(), opened.ours()
    opened.ctx.close()


def _wait_drawn(canvas, timeout: float = 60.0) -> bytes:
    """Screenshot of a canvas once it shows more than one colour."""
    from io import BytesIO

    from PIL import Image

    deadline = time.time() + timeout
    while True:
        png = canvas.screenshot()
        if len(Image.open(BytesIO(png)).convert("RGB").getcolors(1 << 16) or []) > 8 or time.time() > deadline:
            return png
        time.sleep(0.5)


def _wait_changed(locator, before: bytes, timeout: float = 60.0) -> bytes:
    deadline = time.time() + timeout
    while True:
        now = locator.screenshot()
        if now != before:
            return now
        if time.time() > deadline:
            raise AssertionError(f"{locator} did not change within {timeout} s")
        time.sleep(0.3)


def test_clicking_a_point_in_the_explorer_updates_the_heatmaps(page, artifacts):
    cells = page.locator(".dw-explorer-cell canvas")
    assert cells.count() >= 2  # both guidance layers at the scrubbed timestep
    query = page.locator(".dw-explorer-query canvas")
    pair = page.locator(".dw-explorer-matches canvas")
    _wait_drawn(cells.first)
    before = [cells.nth(k).screenshot() for k in range(cells.count())]
    pair_before = pair.screenshot()
    page.locator(".dw-correspondence-explorer").screenshot(path=str(artifacts / "explorer_before.png"))
    box = query.bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.8, box["y"] + box["height"] * 0.2)
    for k in range(cells.count()):
        _wait_changed(cells.nth(k), before[k])
    _wait_changed(pair, pair_before)  # the match lines start at the new query
    # the click at 80 % of the 64-px query's width reads as x ≈ 51 (give or take the front end's borders and padding)
    page.get_by_text(re.compile(r"query \((4[89]|5[0-4])(\.\d+)?, ")).first.wait_for(timeout=30_000)
    page.locator(".dw-correspondence-explorer").screenshot(path=str(artifacts / "explorer_after.png"))


@pytest.mark.flaky(reruns=2)  # a loaded CI machine once left one panel unrepainted; a rerun starts from any step
def test_moving_the_scrubber_updates_every_panel(page, artifacts):
    panels = {
        "step": page.locator(".dw-step-view canvas").first,
        "gradient": page.locator(".dw-gradient-map canvas").first,
        "attention": page.locator(".dw-attention-map canvas").last,
        "correspondence": page.locator(".dw-explorer-cell canvas").first,
    }
    energy = page.locator(".dw-energy-panel")
    start = energy.get_attribute("data-step")
    assert start is not None and start.isdigit()
    target = 4 if start != "4" else 2  # move to another step, whichever step a previous try left
    before = {name: loc.screenshot() for name, loc in panels.items()}
    energy_before = energy.locator("canvas").screenshot()
    page.locator(".dw-inspector").screenshot(path=str(artifacts / "inspector_step0.png"))
    track = page.locator(SLIDER_TRACK).bounding_box()  # 10 steps: 0..9
    page.mouse.click(track["x"] + track["width"] * target / 9, track["y"] + track["height"] / 2)
    page.wait_for_function(f"document.querySelector('.dw-energy-panel').dataset.step === '{target}'", timeout=60_000)
    for name, loc in panels.items():
        _wait_changed(loc, before[name])
    assert energy.locator("canvas").screenshot() != energy_before  # the step cursor moved
    page.locator(".dw-inspector").screenshot(path=str(artifacts / f"inspector_step{target}.png"))


def test_hovering_the_energy_panel_shows_values_without_the_kernel(page, artifacts):
    canvas = page.locator(".dw-energy-panel canvas")
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    tip = page.locator(".dw-energy-tip")
    tip.wait_for(state="visible", timeout=10_000)
    assert "edit:" in tip.inner_text() and "i=" in tip.inner_text()
    page.locator(".dw-energy-panel").screenshot(path=str(artifacts / "energy_hover.png"))
