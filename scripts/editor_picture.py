"""The README's picture of the editor: JupyterLab 4 in Debian's chromium, the built-in scene on the embedded model,
the first shape boxed and moved by an arrow, after the run.

    python scripts/editor_picture.py                   # writes docs/images/editor.png
    python scripts/editor_picture.py --out /tmp/e.png

Uses the browser tests' harness (tests/browser/jupyter_harness.py): the same server, notebook and page code.
The PNG is reduced to a 256-colour palette to keep the repository light.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "browser"))

CELLS = ["""
import numpy as np
import dragon_widgets as dw
from dragon_widgets.widgets._scene import builtin_shape_masks

app = dw.EditorApp()
obj = builtin_shape_masks()[0]
ys, xs = np.nonzero(obj)
app.canvas.add_box((xs.min(), ys.min(), xs.max() + 1, ys.max() + 1))
cx, cy = float(xs.mean()), float(ys.mean())
app.canvas.arrow = [[cx, cy], [cx + (12 if cx < 32 else -12), cy]]
app
""", """
res = app.run()
print(app.status_text)
"""]


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", default=str(ROOT / "docs" / "images" / "editor.png"))
    p.add_argument("--width", type=int, default=1440, help="viewport width (the editor lays out side by side ≥ 900)")
    args = p.parse_args(argv)

    from jupyter_harness import LAB4, ServerPool, open_editor, serve_notebook, wait_text
    from PIL import Image
    from playwright.sync_api import sync_playwright

    from conftest import CHROMIUM, CHROMIUM_ARGS

    with tempfile.TemporaryDirectory() as tmp, ServerPool(Path(tmp)) as pool, \
            serve_notebook(pool, LAB4, "editor_picture.ipynb", CELLS) as served, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        opened, app = open_editor(browser, served, Path(tmp), {"width": args.width, "height": 1000}, cells=(0, 1))
        status = app.locator(".widget-html").filter(has=opened.page.locator("[class^='dw-status-']"))
        wait_text(status, r"^Done", timeout=900)
        opened.page.wait_for_timeout(1500)  # the result image and the comparison settle
        png = app.screenshot()
        browser.close()
    img = Image.open(io.BytesIO(png)).convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    img.save(out, optimize=True)
    print(f"{out}: {img.size[0]}×{img.size[1]}, {out.stat().st_size / 1e3:.0f} kB")


if __name__ == "__main__":
    main()
