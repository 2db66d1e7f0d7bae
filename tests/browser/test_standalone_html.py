"""The standalone HTML exports (InspectorApp.save_html, CorrespondenceExplorer.save_html) opened in Debian's chromium
from a file: no kernel, no server, no network; no console errors; the scrubber, play and every hover work."""

from __future__ import annotations

import pathlib
import sys

import pytest

from dragon_widgets.widgets._frontend import STATIC

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "inspect"))
from inspect_synthetic import make_trace  # noqa: E402


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    if not (STATIC / "standalone.js").is_file():
        pytest.fail("dragon_widgets/static/standalone.js is missing: run `npm ci && npm run build`")
    from dragon_widgets.inspect import trace_features
    from dragon_widgets.widgets.panels import CorrespondenceExplorer, InspectorApp

    d = tmp_path_factory.mktemp("html")
    trace = make_trace()
    inspector = InspectorApp(trace).save_html(d / "inspect.html")
    ex = CorrespondenceExplorer(trace.original, trace.result, trace_features(trace, "reference"),
                                trace_features(trace, "current"), point=(20, 20), timesteps=[981, 941])
    explorer = ex.save_html(d / "explorer.html")
    return {"inspector": inspector, "explorer": explorer}


def _open(browser, path, viewport=(1280, 720)):
    ctx = browser.new_context(viewport={"width": viewport[0], "height": viewport[1]})
    page = ctx.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("request", lambda r: problems.append(f"request {r.url[:80]}")
            if not r.url.startswith(("file:", "data:", "blob:")) else None)
    page.goto(pathlib.Path(path).as_uri())
    page.wait_for_selector("#dw-root[data-ready='1']", timeout=30_000)
    return ctx, page, problems


def _hover(locator, fx: float, fy: float) -> None:
    """Move the mouse to a fraction (fx, fy) of an element, scrolling it into view first (as a user would)."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    locator.hover(position={"x": box["width"] * fx, "y": box["height"] * fy})


def _changed(locator, before: bytes, page, timeout_ms: int = 10_000) -> bool:
    for _ in range(timeout_ms // 100):
        if locator.screenshot() != before:
            return True
        page.wait_for_timeout(100)
    return False


def test_the_inspector_page_works_without_a_kernel(browser, files, artifacts):
    ctx, page, problems = _open(browser, files["inspector"])
    label = page.locator(".dw-step-label")
    view = page.locator(".dw-step-view canvas")
    energy = page.locator(".dw-energy-panel")
    start = label.inner_text()
    page.screenshot(path=str(artifacts / "inspector.png"), full_page=True)

    # scrubber: keyboard on the range input, as a user would
    before = view.screenshot()
    page.locator(".dw-scrubber").focus()
    page.keyboard.press("Home")
    assert label.inner_text().endswith("(1/10)") and energy.get_attribute("data-step") == "0"
    assert _changed(view, before, page)
    page.keyboard.press("ArrowRight")
    assert label.inner_text().endswith("(2/10)") and energy.get_attribute("data-step") == "1"

    # play steps on its own, and stops
    page.locator("button.dw-play").click()
    page.wait_for_function("!document.querySelector('.dw-step-label').textContent.endsWith('(2/10)')", timeout=5000)
    page.locator("button.dw-play").click()

    # hovering the energy curves shows the values; clicking jumps
    ecanvas = page.locator(".dw-energy-panel canvas")
    _hover(ecanvas, 0.5, 0.5)
    tip = page.locator(".dw-energy-tip")
    tip.wait_for(state="visible", timeout=5000)
    assert "edit:" in tip.inner_text() and "i=" in tip.inner_text()
    box = ecanvas.bounding_box()
    ecanvas.click(position={"x": box["width"] * 0.12, "y": box["height"] * 0.5})
    assert label.inner_text() != start and energy.get_attribute("data-step") == "0"

    # correspondence: hovering the original moves the query and redraws every heatmap
    cells = page.locator(".dw-explorer-cell canvas")
    assert cells.count() == 2  # both guidance layers at the scrubbed step
    heat_before = cells.first.screenshot()
    query = page.locator(".dw-explorer-query")
    _hover(query.locator("canvas"), 0.8, 0.2)
    assert query.get_attribute("data-query").startswith("(51")
    assert _changed(cells.first, heat_before, page)
    page.locator("button", has_text="grid over steps").click()
    assert page.locator(".dw-explorer-cell").count() == 2 * 4

    # gradients: hover values, then the signed push with its stated meaning
    grad = page.locator(".dw-gradient-map").first
    _hover(grad.locator("canvas"), 0.5, 0.4)
    gtip = grad.locator(".dw-tip")
    gtip.wait_for(state="visible", timeout=5000)
    assert "|∂E/∂z|" in gtip.inner_text()
    mag = grad.locator("canvas").screenshot()
    page.locator("button", has_text="direction").click()
    assert "the same at every step" in page.locator(".dw-caption").inner_text()
    assert _changed(grad.locator("canvas"), mag, page)

    # attention: hovering x̂₀ queries another pixel
    aq = page.locator(".dw-attention-query")
    amap = page.locator(".dw-attention-map canvas").last
    before = amap.screenshot()
    _hover(aq.locator("canvas"), 0.1, 0.9)
    assert aq.get_attribute("data-query").startswith("(6")
    assert _changed(amap, before, page)

    # presenter mode: larger text and images, same step
    step = label.inner_text()
    width = view.bounding_box()["width"]
    page.locator(".dw-presenter-toggle").check()
    assert page.locator(".dw-step-view canvas").bounding_box()["width"] > width * 1.3
    assert page.locator(".dw-step-label").inner_text() == step
    page.screenshot(path=str(artifacts / "inspector_presenter.png"), full_page=True)
    ctx.close()
    assert not problems, problems


def test_the_explorer_page_recomputes_matches_on_hover(browser, files, artifacts):
    ctx, page, problems = _open(browser, files["explorer"])
    cells = page.locator(".dw-explorer-cell")
    assert cells.count() == 2 * 2  # layers × the explorer's timesteps
    scores = [cells.nth(k).get_attribute("data-score") for k in range(cells.count())]
    pair = page.locator(".dw-explorer-matches canvas")
    before = pair.screenshot()
    _hover(page.locator(".dw-explorer-query canvas"), 0.3, 0.7)
    assert page.locator(".dw-explorer-query").get_attribute("data-query").startswith("(19")
    assert _changed(pair, before, page)
    # the synthetic edited features are the reference rolled by (1, 2): every layer finds its match exactly
    assert all(abs(float(cells.nth(k).get_attribute("data-score")) - 1.0) < 0.02 for k in range(cells.count()))
    assert scores  # drawn before the hover too
    page.screenshot(path=str(artifacts / "explorer.png"), full_page=True)
    ctx.close()
    assert not problems, problems
