"""Figures for slide decks: any ``plot_*`` figure as PNG, SVG or PDF at a 16:9 slide size.

>>> from dragon_widgets import inspect as di
>>> with di.presenter():                               # large fonts and thick marks for a lecture room
...     fig = di.plot_gradients(trace, 20, direction=True)
>>> di.save_slide(fig, "gradients.pdf")               # a whole 16:9 slide (13.33 × 7.5 in)
>>> di.save_slide(fig, "gradients.png", size="content", dpi=96)   # the body of a title slide, 1183 × 566 px
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["SLIDE_FORMATS", "SLIDE_SIZES", "save_slide", "slide_size"]

#: Named slide areas in inches, all on a 16:9 slide of 13.333 × 7.5 in (PowerPoint's and Keynote's widescreen size;
#: Google Slides' 10 × 5.625 in is the same shape, and vector formats scale to it).
SLIDE_SIZES: dict[str, tuple[float, float]] = {
    "full": (40 / 3, 7.5),  # the whole slide: 13.33 × 7.5 in
    "content": (12.333, 5.9),  # below a slide title, inside the usual margins
    "half": (6.0, 5.9),  # one column of a two-column slide
}
SLIDE_FORMATS = ("png", "svg", "pdf")


def slide_size(size: str | tuple[float, float]) -> tuple[float, float]:
    """(width, height) in inches of a named slide area (:data:`SLIDE_SIZES`) or of a (width, height) pair."""
    if isinstance(size, str):
        if size not in SLIDE_SIZES:
            raise ValueError(f"size must be one of {sorted(SLIDE_SIZES)} or (width, height) in inches, got {size!r}")
        return SLIDE_SIZES[size]
    try:
        w, h = (float(v) for v in size)
    except (TypeError, ValueError):
        raise TypeError(f"size must be one of {sorted(SLIDE_SIZES)} or (width, height) in inches, "
                        f"got {size!r}") from None
    if not (0 < w <= 100 and 0 < h <= 100):
        raise ValueError(f"size must be between 0 and 100 inches per side, got {size!r}")
    return w, h


def save_slide(fig: Any, path: str | Path, size: str | tuple[float, float] = "full", dpi: float = 144,
               transparent: bool = False) -> Path:
    """Write ``fig`` (a matplotlib Figure, e.g. from any ``plot_*``) to ``path`` at a slide size; the format follows
    the suffix (``.png``, ``.svg``, ``.pdf``). ``size``: ``"full"``, ``"content"``, ``"half"`` (see
    :data:`SLIDE_SIZES`) or (width, height) inches. ``dpi`` sets the pixels of a PNG (144: 1920 × 1080 for a full
    slide; 96: 1280 × 720). The figure is laid out again at that size and given back its own size afterwards, so
    it still shows as before in the notebook. Make the figure inside ``with presenter():`` for fonts that read
    from the back of a room. Returns the path written.
    """
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure (what the plot_* functions return), got {type(fig).__name__}")
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in SLIDE_FORMATS:
        raise ValueError(f"path must end in one of {['.' + f for f in SLIDE_FORMATS]}, got {str(path)!r}")
    if not (isinstance(dpi, (int, float)) and 10 <= dpi <= 1200):
        raise ValueError(f"dpi must be a number between 10 and 1200, got {dpi!r}")
    w, h = slide_size(size)
    old = fig.get_size_inches().copy()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fig.set_size_inches(w, h)
        fig.savefig(path, format=fmt, dpi=dpi, transparent=transparent, facecolor=None if transparent else "white")
    finally:
        fig.set_size_inches(*old)
    return path
