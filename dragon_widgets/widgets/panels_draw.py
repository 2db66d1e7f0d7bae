"""Drawing helpers for the inspection panels: an ipycanvas canvas showing an image at a display zoom.

Python draws here (heatmaps, overlays, match lines, handle tracks); callers batch the commands of one
update with ``ipycanvas.hold_canvas()`` so each update travels as one binary message. The last image
drawn is kept in ``.pixels`` (uint8 (h, w, 3), display resolution) so tests can see what was drawn.

Snapshots: with the environment variable ``DRAGON_WIDGETS_SNAPSHOT=1`` (set by ``scripts/build_notebooks.py``)
each canvas also keeps a PNG of everything drawn on it in its ``image_data``, which ipycanvas's front end draws
when a view is created from saved widget state: notebooks executed headless then show the panels, not empty
canvases, in nbviewer and in JupyterLab before a kernel runs. Off by default (it costs a PNG per drawing call).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import numpy as np

from ..inspect._arrays import mask_outline, upsample_nearest
from ..inspect.style import NOTEBOOK, Style

DISPLAY = 192  # default on-screen side of one panel image, in CSS pixels


def snapshots_on() -> bool:
    """True when canvases keep a PNG of their drawing in the widget state (``DRAGON_WIDGETS_SNAPSHOT=1``)."""
    return os.environ.get("DRAGON_WIDGETS_SNAPSHOT", "") not in ("", "0")


def label_html(text: str, style: Style = NOTEBOOK) -> str:
    """A panel title as HTML at the style's font size."""
    return f"<span style='font:{style.css_font}px sans-serif'>{text}</span>"


class ImageCanvas:
    """An ipycanvas ``Canvas`` holding one image of ``image_size`` (W, H), drawn ``display`` px wide."""

    def __init__(self, image_size: tuple[int, int], display: int = DISPLAY, title: str = "",
                 css_class: str = "dw-image-canvas", style: Style = NOTEBOOK) -> None:
        from ipycanvas import Canvas
        from ipywidgets import HTML, Layout, VBox

        W, H = image_size
        self.image_size = (int(W), int(H))
        self.style = style
        self.zoom = display / W
        self.canvas = Canvas(width=display, height=max(1, round(H * self.zoom)), layout=Layout(margin="0"))
        self.label = HTML(label_html(title, style), layout=Layout(max_width=f"{max(display, 120)}px"))
        self.widget = VBox([self.label, self.canvas], layout=Layout(margin="2px", align_items="center"))
        self.widget.add_class(css_class)  # stable hooks for styling and browser tests
        self.pixels: np.ndarray | None = None
        self._shadow = None  # a PIL image of everything drawn (snapshot mode only)

    def set_title(self, title: str) -> None:
        self.label.value = label_html(title, self.style)

    # snapshot mode: the same drawing on a PIL image, kept as the canvas's image_data ------------------
    def _draw(self):
        """A PIL ImageDraw on the shadow image, or None when snapshots are off."""
        if self._shadow is None:
            return None
        from PIL import ImageDraw

        return ImageDraw.Draw(self._shadow)

    def _sync(self) -> None:
        if self._shadow is None:
            return
        import io

        from PIL import Image

        buf = io.BytesIO()  # a 256-colour PNG: a preview for saved widget state, a third of the bytes of a full one
        self._shadow.quantize(colors=256, method=Image.Quantize.FASTOCTREE).save(buf, format="PNG", optimize=True)
        self.canvas.set_trait("image_data", buf.getvalue())

    def to_image(self, x: float, y: float) -> tuple[float, float]:
        """Canvas pixel → image pixel (clamped inside the image)."""
        W, H = self.image_size
        return min(max(x / self.zoom, 0.0), W - 1e-3), min(max(y / self.zoom, 0.0), H - 1e-3)

    def on_click(self, callback: Callable[[float, float], None]) -> None:
        """Call ``callback(x, y)`` with image pixel coordinates on every mouse press."""
        self.canvas.on_mouse_down(lambda x, y: callback(*self.to_image(x, y)))

    def draw_image(self, rgb: np.ndarray) -> None:
        """Show a uint8 (H, W, 3) image (any size: resized to the canvas with nearest neighbours)."""
        pix = upsample_nearest(np.asarray(rgb, dtype=np.uint8), (self.canvas.width, self.canvas.height))
        self.pixels = pix
        self.canvas.clear()
        self.canvas.put_image_data(pix, 0, 0)
        if snapshots_on():
            from PIL import Image

            self._shadow = Image.fromarray(np.ascontiguousarray(pix[..., :3]), "RGB")
            self._sync()

    def draw_outline(self, mask: np.ndarray, color: Sequence[int]) -> None:
        """Outline a bool (H, W) mask (drawn as cell rectangles of its boundary)."""
        m = np.asarray(mask, dtype=bool)
        edge = mask_outline(m)
        if not edge.any():
            return
        sx, sy = self.canvas.width / m.shape[1], self.canvas.height / m.shape[0]
        rows, cols = np.nonzero(edge)
        self.canvas.fill_style = _css(color, 0.9)
        self.canvas.fill_rects(cols * sx, rows * sy, max(sx, 1.0), max(sy, 1.0))
        d = self._draw()
        if d is not None:
            for r, c in zip(rows, cols):
                d.rectangle([c * sx, r * sy, c * sx + max(sx, 1.0) - 1, r * sy + max(sy, 1.0) - 1],
                            fill=tuple(int(v) for v in color[:3]))
            self._sync()

    def marker(self, x: float, y: float, color: str = "red", radius: float | None = None, cross: bool = False) -> None:
        """A ring (or a cross) at image pixel (x, y); ``radius`` defaults to the style's marker size."""
        scale = self.style.css_line / NOTEBOOK.css_line
        radius = float(self.style.css_marker) if radius is None else float(radius) * scale
        cx, cy = float(x * self.zoom), float(y * self.zoom)
        self.canvas.stroke_style = color
        self.canvas.line_width = self.style.css_line
        if cross:
            self.canvas.stroke_line(cx - radius, cy - radius, cx + radius, cy + radius)
            self.canvas.stroke_line(cx - radius, cy + radius, cx + radius, cy - radius)
        else:
            self.canvas.stroke_circle(cx, cy, radius)
        d = self._draw()
        if d is not None:
            w = max(1, round(self.style.css_line))
            if cross:
                d.line([cx - radius, cy - radius, cx + radius, cy + radius], fill=color, width=w)
                d.line([cx - radius, cy + radius, cx + radius, cy - radius], fill=color, width=w)
            else:
                d.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], outline=color, width=w)
            self._sync()

    def arrow(self, start: Sequence[float], end: Sequence[float], color: str = "white") -> None:
        """A line with a head from ``start`` to ``end`` (image pixels)."""
        (x0, y0), (x1, y1) = [(float(p[0] * self.zoom), float(p[1] * self.zoom)) for p in (start, end)]
        c = self.canvas
        c.stroke_style = color
        c.line_width = self.style.css_line
        c.stroke_line(x0, y0, x1, y1)
        ang = np.arctan2(y1 - y0, x1 - x0)
        head = 4 * self.style.css_line
        ends = [(x1 + head * float(np.cos(ang + da)), y1 + head * float(np.sin(ang + da))) for da in (2.6, -2.6)]
        for ex, ey in ends:
            c.stroke_line(x1, y1, ex, ey)
        d = self._draw()
        if d is not None:
            w = max(1, round(self.style.css_line))
            d.line([x0, y0, x1, y1], fill=color, width=w)
            for ex, ey in ends:
                d.line([x1, y1, ex, ey], fill=color, width=w)
            self._sync()

    def line(self, start: Sequence[float], end: Sequence[float], color: str = "white", width: float | None = None) -> None:
        """A plain line from ``start`` to ``end`` (image pixels), ends marked with small dots."""
        (x0, y0), (x1, y1) = [(float(p[0] * self.zoom), float(p[1] * self.zoom)) for p in (start, end)]
        width = self.style.css_line if width is None else width
        c = self.canvas
        c.stroke_style = c.fill_style = color
        c.line_width = width
        c.stroke_line(x0, y0, x1, y1)
        c.fill_circles(np.array([x0, x1]), np.array([y0, y1]), 3)
        d = self._draw()
        if d is not None:
            d.line([x0, y0, x1, y1], fill=color, width=max(1, round(width)))
            for px, py in ((x0, y0), (x1, y1)):
                d.ellipse([px - 3, py - 3, px + 3, py + 3], fill=color)
            self._sync()

    def polyline(self, points: np.ndarray, color: str = "lime") -> None:
        """A polyline through image-pixel points (n, 2)."""
        pts = np.asarray(points, dtype=float) * self.zoom
        if len(pts) > 1:
            self.canvas.stroke_style = color
            self.canvas.line_width = self.style.css_line
            self.canvas.stroke_lines(pts)
            d = self._draw()
            if d is not None:
                d.line([tuple(p) for p in pts.tolist()], fill=color, width=max(1, round(self.style.css_line)))
                self._sync()


def _css(color: Sequence[int], alpha: float = 1.0) -> str:
    r, g, b = (int(v) for v in color[:3])
    return f"rgba({r},{g},{b},{alpha})"


class StaticFallback:
    """Mixin for panels with a ``.widget`` and a ``static_figure()``: displaying the panel shows the widget,
    and the display data also carries the figure as PNG for front ends that cannot render widgets."""

    widget: object

    def static_figure(self):  # pragma: no cover - every panel overrides it
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        return with_static_png(widget_bundle(self.widget, **kwargs), self.static_figure, type(self).__name__)


def widget_bundle(widget, **kwargs) -> dict:
    """The display data of an ipywidgets widget (ipywidgets 8 has ``_repr_mimebundle_``; 7 does not)."""
    import ipywidgets

    if hasattr(ipywidgets.DOMWidget, "_repr_mimebundle_"):
        return dict(widget._repr_mimebundle_(**kwargs) or {})
    return {"text/plain": repr(widget),
            "application/vnd.jupyter.widget-view+json": {"version_major": 2, "version_minor": 0,
                                                         "model_id": widget.model_id}}


def with_static_png(data: dict, make_figure, name: str) -> dict:
    """``data`` plus ``image/png`` of ``make_figure()`` (the fallback never breaks the widget display)."""
    import base64
    import io

    try:
        buf = io.BytesIO()
        make_figure().savefig(buf, format="png", dpi=80)
        data["image/png"] = base64.b64encode(buf.getvalue()).decode("ascii")
    except Exception as err:  # noqa: BLE001
        data["text/plain"] = f"{name} (static figure unavailable: {err})"
    return data
