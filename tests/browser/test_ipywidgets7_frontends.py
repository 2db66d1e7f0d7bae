"""The quickstart's editor in the ipywidgets 7 front ends (Colab's generation), each from its own environment.

scripts/test.sh builds one venv per front end (classic Notebook 6.5 with ipywidgets 7.7 and with 7.8.5, whose
widgetsnbextension cannot display an ``ipywidgets.Output``; JupyterLab 3.6 with ipywidgets 7.8.5); see
jupyter_harness. The test opens the quickstart there and checks that the editor renders (a silent failure shows
nothing) and that the comparison's "before" image is drawn at full size (classic Notebook's
``div.output_area img { max-width: 100% }`` halved it). The layout, file drop, Cancel, metrics and Inspect checks
run in these front ends too: test_editor_layout.py, test_editor_inspect.py, test_panels_frontends.py.
"""

from __future__ import annotations

import pathlib

import pytest
from jupyter_harness import IPYW7, open_editor, serve_notebook

REPO = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "01_quickstart.ipynb"


@pytest.mark.parametrize("front_end", IPYW7, ids=str)
def test_editor_renders_with_a_full_size_comparison(front_end, browser, jupyter, artifacts):
    name = front_end.name
    # cleared as a user there would run it: the committed outputs carry ipywidgets 8's widget state
    with serve_notebook(jupyter, front_end, "ipyw7_quickstart.ipynb", copy_of=NOTEBOOK, clear_outputs=True) as served:
        # the install cell (a no-op outside Colab), then `app = dw.EditorApp(); app`
        opened, app = open_editor(browser, served, artifacts, {"width": 1500, "height": 1600}, cells=(1, 3))
        page = opened.page
        stage = app.locator(".dw-canvas .dw-stage").first
        side = app.locator("img.dw-side-before").bounding_box()  # side by side (the default): pinned size
        assert side["width"] > 100 and side["height"] == pytest.approx(side["width"], abs=1), side
        app.locator("button.dw-view-wipe").click()  # the wipe view
        compare = app.locator(".dw-compare")
        page.screenshot(path=str(artifacts / f"{name}_editor.png"))
        box, before = compare.bounding_box(), app.locator(".dw-compare img.dw-before").bounding_box()
        assert stage.bounding_box()["width"] > 200
        assert box["width"] > 100
        assert (before["width"], before["height"]) == pytest.approx((box["width"], box["height"]), abs=1), \
            f"{name}: the 'before' image is {before} in a {box} box"
        assert not opened.ours(), opened.ours()
        opened.ctx.close()
