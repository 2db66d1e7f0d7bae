"""Where the bundled front end lives, with a placeholder when it has not been built."""

from __future__ import annotations

import pathlib

STATIC = pathlib.Path(__file__).resolve().parent.parent / "static"

_PLACEHOLDER = """
export default {
  render({ el }) {
    el.innerHTML = '<div style="padding:8px;border:1px solid #c00;color:#c00;font:13px sans-serif">'
      + 'dragon_widgets: the front end (%s) is not built. Run <code>npm ci && npm run build</code> '
      + 'in the source checkout, or install the package from a wheel.</div>';
  }
};
"""


def esm(name: str) -> pathlib.Path | str:
    """Path of the bundled ES module ``static/<name>.js``, or a placeholder module if it is missing.

    anywidget raises ``FileNotFoundError`` at class-definition time for a missing file, so the
    fallback keeps ``import dragon_widgets`` working in an unbuilt checkout.
    """
    path = STATIC / f"{name}.js"
    if path.is_file():
        return path
    return _PLACEHOLDER % name


def is_built(name: str = "canvas") -> bool:
    """True when ``static/<name>.js`` exists."""
    return (STATIC / f"{name}.js").is_file()
