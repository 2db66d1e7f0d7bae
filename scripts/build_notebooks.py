#!/usr/bin/env python
"""Execute the notebooks and save them with their outputs, so GitHub, nbviewer and Colab's preview show them.

    OMP_NUM_THREADS=1 python scripts/build_notebooks.py            # notebooks 01–03, in place
    python scripts/build_notebooks.py notebooks/03_inside_dragondiffusion.ipynb
    python scripts/build_notebooks.py --check                      # only check the saved notebooks (no kernel)

Run it from a clone after anything that changes what the notebooks print or draw (a retrained embedded model, a new
figure), on an otherwise idle machine (the notebooks print how long their edits took); commit the notebooks it
writes. It runs each notebook top to bottom in a fresh kernel of this Python
(`pip install -e .` first; the checkout itself is put first on the kernel's PYTHONPATH), in the notebooks' folder, as
tests/notebooks and a user would. It keeps

* every output, figures as PNG (matplotlib's inline backend), re-encoded with a 256-colour palette (the same to
  the eye, about a third of the bytes),
* the widgets' saved state (the notebook's ``widgets`` metadata), with the inspection panels' drawings kept as PNGs
  in their canvases (``DRAGON_WIDGETS_SNAPSHOT=1``), so nbviewer and JupyterLab show the panels before any kernel
  runs; each widget display also carries a static PNG for front ends without widgets (GitHub),

and drops what changes from run to run without meaning anything (execution timestamps). A notebook above
``--max-mb`` (2 MB) is still written, and the script fails naming its largest outputs: make the figures smaller
or show fewer widgets. Files the notebooks write (exports, edit logs) stay in git-ignored folders.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = [ROOT / "notebooks" / n for n in
             ("01_quickstart.ipynb", "02_edit_modes.ipynb", "03_inside_dragondiffusion.ipynb")]
MAX_MB = 2.0
COLAB_MARKERS = ("google.colab", "enable_custom_widget_manager")


def execute(path: Path, timeout: int) -> tuple[dict, float]:
    """Run ``path`` top to bottom in a fresh kernel; the executed notebook (nbformat node) and its run time."""
    import nbformat
    from nbclient import NotebookClient

    _, raw = nbformat.validator.normalize(json.loads(path.read_text(encoding="utf-8")))  # cell ids where missing
    nb = nbformat.reads(json.dumps(raw), as_version=4)
    env_before = dict(os.environ)
    os.environ["DRAGON_WIDGETS_SNAPSHOT"] = "1"  # canvases keep their drawings in the saved widget state
    os.environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), *filter(None, [env_before.get("PYTHONPATH")])])
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    try:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3", store_widget_state=True,
                                resources={"metadata": {"path": str(path.parent)}})
        t0 = time.perf_counter()
        client.execute()
        return nb, time.perf_counter() - t0
    finally:
        os.environ.clear()
        os.environ.update(env_before)


def tidy(nb) -> None:
    """Drop per-run noise: execution timestamps and the kernel's language_info version churn."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        for out in cell.get("outputs", []):
            out.get("metadata", {}).pop("execution", None)
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    nb.metadata.setdefault("language_info", {})["name"] = "python"
    for key in list(nb.metadata["language_info"]):
        if key not in ("name", "codemirror_mode", "file_extension", "mimetype", "nbconvert_exporter",
                       "pygments_lexer"):
            nb.metadata["language_info"].pop(key)


def compact_pngs(nb) -> int:
    """Re-encode every PNG output as a 256-colour PNG (no dithering, so text and marks stay crisp); bytes saved."""
    import base64
    import io

    from PIL import Image

    saved = 0
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/png" not in data:
                continue
            raw = base64.b64decode(data["image/png"])
            img = Image.open(io.BytesIO(raw))
            if img.mode == "P":
                continue  # already a palette image
            buf = io.BytesIO()
            img.convert("RGB").quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                                        dither=Image.Dither.NONE).save(buf, format="PNG", optimize=True)
            if buf.tell() < len(raw):
                data["image/png"] = base64.b64encode(buf.getvalue()).decode("ascii")
                saved += len(raw) - buf.tell()
    return saved


def sizes(nb) -> list[tuple[int, str]]:
    """(bytes, what) of the largest parts of a notebook: each cell's outputs and the widget state."""
    out = []
    for k, cell in enumerate(nb.get("cells", [])):
        n = len(json.dumps(cell.get("outputs", [])))
        if n:
            first = "".join(cell.get("source", ""))[:50].replace("\n", " ")
            out.append((n, f"cell {k} outputs ({first}…)"))
    widgets = nb.get("metadata", {}).get("widgets")
    if widgets:
        out.append((len(json.dumps(widgets)), "widget state (metadata.widgets)"))
    return sorted(out, reverse=True)


def check(path: Path, max_mb: float) -> list[str]:
    """Problems of a saved notebook: too large, no outputs, no widget state, or no Colab cell first."""
    problems = []
    raw = path.read_bytes()
    nb = json.loads(raw)
    mb = len(raw) / 2**20
    if mb > max_mb:
        big = "; ".join(f"{what}: {n / 2**20:.2f} MB" for n, what in sizes(nb)[:4])
        problems.append(f"{path.name} is {mb:.2f} MB (limit {max_mb} MB); largest parts: {big}")
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if not code or not all(m in "".join(code[0]["source"]) for m in COLAB_MARKERS):
        problems.append(f"{path.name}: the first code cell must be the Colab cell (install + "
                        f"output.enable_custom_widget_manager())")
    body = [c for c in code if "google.colab" not in "".join(c["source"])]
    missing = [c for c in body if not c.get("outputs")]
    if body and 2 * len(missing) >= len(body):  # most cells print or draw: half of them silent means not run
        problems.append(f"{path.name}: {len(missing)} of {len(body)} code cells have no outputs: run "
                        f"scripts/build_notebooks.py")
    state = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    shown = any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for c in code
                for o in c.get("outputs", []))
    if shown and not state.get("state"):
        problems.append(f"{path.name}: widgets are displayed but no widget state is saved")
    errors = [o.get("ename") for c in code for o in c.get("outputs", []) if o.get("output_type") == "error"]
    if errors:
        problems.append(f"{path.name}: saved with errors {errors}")
    return problems


def png_count(nb: dict) -> int:
    return sum("image/png" in o.get("data", {}) for c in nb["cells"] for o in c.get("outputs", []))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks 01–03")
    ap.add_argument("--check", action="store_true", help="only check the saved notebooks; run nothing")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default 1800)")
    ap.add_argument("--max-mb", type=float, default=MAX_MB, help=f"size limit per notebook (default {MAX_MB})")
    args = ap.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or NOTEBOOKS
    for p in paths:
        if not p.is_file() or p.suffix != ".ipynb":
            ap.error(f"{p} is not a notebook file")
    problems: list[str] = []
    for path in paths:
        if not args.check:
            import nbformat

            print(f"== {path.relative_to(ROOT)}: executing", flush=True)
            nb, seconds = execute(path, args.timeout)
            tidy(nb)
            compact_pngs(nb)
            nbformat.write(nb, path)
            print(f"   {seconds:.0f} s, {path.stat().st_size / 2**20:.2f} MB, "
                  f"{png_count(json.loads(path.read_text()))} PNG outputs", flush=True)
        found = check(path, args.max_mb)
        problems += found
        print(f"   {path.name}: " + ("ok" if not found else "; ".join(found)), flush=True)
    if problems:
        print("\n".join(["", "PROBLEMS:", *problems]), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
