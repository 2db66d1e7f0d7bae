"""The quickstart's editor in the ipywidgets 7 front ends (Colab's generation), each from its own environment.

scripts/test.sh builds one venv per front end (classic Notebook 6.5 with ipywidgets 7.7 and with 7.8.5, whose
widgetsnbextension cannot display an ``ipywidgets.Output``; JupyterLab 3.6 with ipywidgets 7.8.5) and names them in
``DW_IPYW7_FRONTENDS`` as ``name=python,...``. The test opens the quickstart there and checks that the editor
renders (a silent failure shows nothing) and that the comparison's "before" image is drawn at full size
(classic Notebook's ``div.output_area img { max-width: 100% }`` halved it).
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest
from jupyter_harness import jupyter_server, wait_kernel_idle

REPO = pathlib.Path(__file__).resolve().parents[2]
TOKEN = "dw-ipyw7-test"
NOTEBOOK = REPO / "notebooks" / "01_quickstart.ipynb"


def front_ends() -> dict[str, str]:
    spec = os.environ.get("DW_IPYW7_FRONTENDS", "")
    return dict(item.split("=", 1) for item in spec.split(",") if "=" in item)


FRONT_ENDS = front_ends() or {"(not configured)": ""}


@pytest.mark.parametrize("name", sorted(FRONT_ENDS))
def test_editor_renders_with_a_full_size_comparison(name, browser, tmp_path, artifacts):
    python = FRONT_ENDS[name]
    if not python or not pathlib.Path(python).exists():
        pytest.fail("DW_IPYW7_FRONTENDS names no ipywidgets-7 front-end environments: run scripts/test.sh, which "
                    f"builds them (got {os.environ.get('DW_IPYW7_FRONTENDS')!r})")
    lab = name.startswith("lab")
    shutil.copy(NOTEBOOK, tmp_path / "quickstart.ipynb")
    with jupyter_server("lab" if lab else "notebook", tmp_path, TOKEN, python=python) as base:
        ctx = browser.new_context(viewport={"width": 1500, "height": 1600})
        page = ctx.new_page()
        errors: list[str] = []
        console: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}") if m.type == "error" else None)
        if lab:
            page.goto(f"{base}/lab/tree/quickstart.ipynb?token={TOKEN}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
            wait_kernel_idle(base, TOKEN)
            page.locator(".jp-Notebook .jp-Cell").nth(1).click()
            for _ in range(3):  # install cell (a no-op outside Colab), markdown, `app = dw.EditorApp(); app`
                page.keyboard.press("Shift+Enter")
        else:
            page.goto(f"{base}/notebooks/quickstart.ipynb?token={TOKEN}")
            page.wait_for_function("window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel "
                                   "&& Jupyter.notebook.kernel.is_connected()", timeout=120_000)
            wait_kernel_idle(base, TOKEN)
            page.evaluate("Jupyter.notebook.execute_cells([1, 3])")
        app = page.locator(".dw-editor-app")
        try:
            app.wait_for(timeout=240_000)
        except Exception:
            page.screenshot(path=str(artifacts / f"{name}_no_editor.png"))
            raise AssertionError(f"{name}: the editor did not render; page errors {errors}; console {console[-10:]}")
        stage = app.locator(".dw-canvas .dw-stage").first
        stage.wait_for()
        page.wait_for_function("(() => { const i = document.querySelector('img.dw-side-before');"
                               " return i && i.complete && i.naturalWidth > 0; })()", timeout=60_000)
        side = app.locator("img.dw-side-before").bounding_box()  # side by side (the default): pinned size
        assert side["width"] > 100 and side["height"] == pytest.approx(side["width"], abs=1), side
        app.locator("button.dw-view-wipe").click()  # the wipe view
        compare = app.locator(".dw-compare")
        page.screenshot(path=str(artifacts / f"{name}_editor.png"))
        box, before = compare.bounding_box(), app.locator(".dw-compare img.dw-before").bounding_box()
        assert stage.bounding_box()["width"] > 200
        assert box["width"] > 100
        assert (before["width"], before["height"]) == pytest.approx((box["width"], box["height"]), abs=1), \
            f"{name}: the 'before' image is {before['width']}×{before['height']} in a {box['width']}×{box['height']} box"
        ours = [e for e in errors + console if "deserialize" in e or "anywidget" in e or "dw-" in e]
        assert not ours, ours
        ctx.close()
