"""Sizes of text and marks in the inspection figures and panels: the notebook style, and a presenter style that
reads from the back of a lecture room on a 1280×720 projector.

>>> from dragon_widgets import inspect as di
>>> with di.presenter():                  # every plot_* figure made inside is drawn with the presenter style
...     fig = di.plot_energies(trace)
>>> di.save_slide(fig, "energies.pdf")    # a 16:9 slide

The widgets take ``presenter=True`` (``dw.InspectorApp(trace, presenter=True)``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = ["NOTEBOOK", "PRESENTER", "STYLES", "Style", "current_style", "get_style", "presenter", "use_style"]


@dataclass(frozen=True)
class Style:
    """Font sizes (points for figures, CSS pixels for widgets), line widths and marker sizes of one look."""

    name: str
    title: float  # figure panel titles (pt)
    label: float  # axis labels, colour-bar labels (pt)
    tick: float  # tick labels (pt)
    legend: float  # legend entries (pt)
    suptitle: float  # figure-wide captions (pt)
    line: float  # curve width (pt)
    marker: float  # point markers (pt)
    mark_width: float  # width of rings, crosses and arrows (pt)
    cell: float  # side of one image panel of a figure (inches)
    css_font: int  # widget titles and captions (CSS px)
    css_line: float  # widget overlay line width (CSS px)
    css_marker: float  # widget marker radius (CSS px)
    display: int  # side of one image panel in the widgets (CSS px)
    small_display: int  # side of the small panels (gradients, attention, correspondence cells) (CSS px)
    energy_size: tuple[int, int]  # (width, height) of the energy panel (CSS px)


#: The default: compact figures for a notebook page.
NOTEBOOK = Style(name="notebook", title=9, label=8, tick=7, legend=7, suptitle=9, line=1.5, marker=5, mark_width=1.5,
                 cell=2.4, css_font=11, css_line=2, css_marker=5, display=256, small_display=160,
                 energy_size=(520, 220))
#: Readable from the back of a room at 1280×720: 16 pt titles (about 21 px on a 1280-px-wide slide), thick marks.
PRESENTER = Style(name="presenter", title=16, label=14, tick=13, legend=13, suptitle=16, line=3.5, marker=10,
                  mark_width=3, cell=3.6, css_font=18, css_line=4, css_marker=9, display=360, small_display=240,
                  energy_size=(640, 360))
STYLES = {s.name: s for s in (NOTEBOOK, PRESENTER)}

_current: list[Style] = [NOTEBOOK]


def get_style(style: str | Style | bool | None = None) -> Style:
    """A :class:`Style` by name (``"notebook"``, ``"presenter"``), ``True`` for presenter, ``None``/``False`` for the
    current one (see :func:`presenter`)."""
    if isinstance(style, Style):
        return style
    if style is None or style is False:
        return _current[-1]
    if style is True:
        return PRESENTER
    if isinstance(style, str) and style in STYLES:
        return STYLES[style]
    raise ValueError(f"style must be one of {sorted(STYLES)}, True, None or a Style, got {style!r}")


def current_style() -> Style:
    """The style the ``plot_*`` functions use now."""
    return _current[-1]


@contextlib.contextmanager
def use_style(style: str | Style | bool) -> Iterator[Style]:
    """Draw the figures made inside the ``with`` block with ``style`` (a name, a :class:`Style`, or True)."""
    s = get_style(True if style is True else style)
    _current.append(s)
    try:
        yield s
    finally:
        _current.pop()


def presenter() -> contextlib.AbstractContextManager[Style]:
    """``with presenter():`` draws the figures made inside with :data:`PRESENTER` (large fonts, thick marks)."""
    return use_style(PRESENTER)
