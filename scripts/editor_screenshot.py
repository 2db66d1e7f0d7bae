"""The README's picture of the editor: EditorApp in JupyterLab after a move on the embedded model.

    python scripts/editor_screenshot.py                  # writes docs/images/editor.png
    python scripts/editor_screenshot.py --out shot.png --width 1280 --height 1600

Starts JupyterLab on a temporary folder (the browser tests' harness, tests/browser/jupyter_harness.py), opens a
notebook whose one cell shows ``dw.EditorApp()`` on its built-in scene with the first object boxed, masked and an
arrow drawn from it, presses Run in Debian's chromium (Playwright, never a downloaded browser), waits for the edit
to finish and saves a picture of the editor. The edit runs on the embedded model with the ``embedded`` preset, as a
user's first run does; on a busy CPU it takes a few minutes.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

CELL = """
import numpy as np
import dragon_widgets as dw
from dragon_widgets.widgets._scene import builtin_shape_masks

app = dw.EditorApp()
mask = builtin_shape_masks()[0]
ys, xs = np.nonzero(mask)
cx, cy = float(xs.mean()), float(ys.mean())
app.canvas.mask = mask
app.canvas.boxes = [[int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1]]
app.canvas.arrow = [[cx, cy], [cx + (10 if cx < 32 else -10), cy + 4]]
app
"""


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "images" / "editor.png"), help="the PNG to write")
    p.add_argument("--width", type=int, default=1440, help="browser window width in CSS pixels")
    p.add_argument("--height", type=int, default=1800, help="browser window height in CSS pixels")
    p.add_argument("--timeout", type=float, default=1200, help="seconds to wait for the edit")
    args = p.parse_args(argv)

    from jupyter_harness import FrontEnd, ServerPool, open_editor, serve_notebook
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("DW_CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        sys.exit(f"{chromium} is missing: install Debian's chromium (apt-get install chromium) or set DW_CHROMIUM")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="dw-shot-") as tmp, ServerPool(Path(tmp)) as pool, \
            serve_notebook(pool, FrontEnd("lab", "lab"), "editor.ipynb", [CELL]) as served, \
            sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        try:
            opened, app = open_editor(browser, served, Path(tmp), {"width": args.width, "height": args.height})
            page = opened.page
            status = app.locator(".widget-html").filter(has=page.locator("[class^='dw-status-']"))
            app.get_by_role("button", name="Run").click()
            deadline = time.time() + args.timeout
            while not re.search(r"dw-status-(success|danger)", status.inner_html()):
                if time.time() > deadline:
                    sys.exit(f"the edit did not finish in {args.timeout} s: {status.inner_text()}")
                time.sleep(1)
            text = status.inner_text()
            if "dw-status-danger" in status.inner_html():
                sys.exit(f"the edit failed: {text}")
            try:  # JupyterLab's "get notified about Jupyter news?" toast would cover the result
                page.get_by_role("button", name="No", exact=True).first.click(timeout=5000)
            except PlaywrightTimeout:
                pass
            app.scroll_into_view_if_needed()
            page.wait_for_timeout(1500)  # the comparison's images decode, the toast fades out
            box = app.bounding_box()
            if box is None or box["y"] + box["height"] > args.height:
                sys.exit(f"the editor ({box}) does not fit a window {args.height} px high: pass a larger --height")
            page.screenshot(path=str(out), clip=box)
            print(f"{out}: {text.strip()}")
        finally:
            browser.close()


if __name__ == "__main__":
    main()
