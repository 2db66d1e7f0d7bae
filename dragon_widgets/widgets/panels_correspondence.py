"""Correspondence explorer: click a point in image A, see where each layer and timestep matches it in B."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from ..inspect._arrays import Point, format_point
from ..inspect.colors import blend, colorize
from ..inspect.correspondence import FLAT_CONTRAST, Correspondence, correspondence_grid
from ..inspect.matches import MatchLine, match_lines, side_by_side
from ..inspect.plots import default_query, trace_timestep_images
from ..inspect.recorded import trace_features
from ..inspect.style import Style, get_style
from .panels_draw import ImageCanvas, StaticFallback, label_html


class CorrespondenceExplorer(StaticFallback):
    """Cosine-similarity heatmaps over image B for the clicked point of image A, as a layer × timestep grid.

    ``features_*`` map ``(layer, timestep)`` to (C, h, w) maps. Use :meth:`from_trace` for a live edit
    (original vs edited branch, on the guidance's own features) or :meth:`from_images` for any two images.
    ``set_timesteps`` picks the grid's columns (the scrubber calls it); ``point`` is the query.
    ``images_b`` optionally gives B's background per timestep (x̂₀ of that step on a live edit).
    The pair view shows A and B side by side with a line from the query to each layer's best match at
    the grid's first timestep (``pair_timestep``); clicking its A half moves the query too. A *flat* map (its best
    similarity within :data:`~dragon_widgets.inspect.correspondence.FLAT_CONTRAST` of its median) is dimmed and
    gets no cross: nearly everything matches, so its best match means nothing. ``presenter=True``: larger images,
    text and marks. :meth:`save_html` writes the explorer as one HTML file that works without a kernel.
    """

    def __init__(self, image_a: np.ndarray, image_b: np.ndarray, features_a: Mapping[Hashable, Any],
                 features_b: Mapping[Hashable, Any], point: Point | None = None, timesteps: Sequence[int] | None = None,
                 titles: tuple[str, str] = ("A", "B"), display: int | None = None, cell: int | None = None,
                 max_columns: int = 4, images_b: Mapping[int, np.ndarray] | None = None,
                 presenter: bool | Style = False) -> None:
        from ipywidgets import HTML, GridBox, HBox, Layout, SelectMultiple, VBox

        self.style = get_style(presenter or "notebook")
        display = display or self.style.display - 64
        cell = cell or round(self.style.small_display * 0.8)

        self.image_a = np.asarray(image_a, dtype=np.uint8)
        self.image_b = np.asarray(image_b, dtype=np.uint8)
        self.images_b = {int(t): np.asarray(im, dtype=np.uint8) for t, im in (images_b or {}).items()}
        self.features_a, self.features_b = dict(features_a), dict(features_b)
        keys = [k for k in self.features_a if k in self.features_b]
        if not keys:
            raise ValueError("features_a and features_b share no (layer, timestep) key")
        self.layers = list(dict.fromkeys(k[0] for k in keys))
        self.all_timesteps = sorted({k[1] for k in keys}, reverse=True)
        self.titles = titles
        self.size_a = (self.image_a.shape[1], self.image_a.shape[0])
        self.size_b = (self.image_b.shape[1], self.image_b.shape[0])
        self.point: Point = point or (self.size_a[0] / 2, self.size_a[1] / 2)
        self.cell, self.max_columns = cell, max_columns
        self.results: dict[Hashable, Correspondence] = {}
        self.lines: list[MatchLine] = []

        self.canvas_a = ImageCanvas(self.size_a, display, f"{titles[0]}: click a point", "dw-explorer-query",
                                    style=self.style)
        self.canvas_a.on_click(self.set_point)
        self.canvas_a.canvas.on_client_ready(self.refresh)
        self.layer_select = SelectMultiple(options=self.layers, value=tuple(self.layers), description="layers",
                                           rows=min(6, len(self.layers)), layout=Layout(width="230px"))
        self.layer_select.observe(lambda _: self._rebuild(), names="value")
        self.info = HTML()
        self._pair = side_by_side(self.image_a, self.image_b)  # redrawn with B at the pair timestep
        pair_w = self._pair.image.shape[1]
        self.pair_canvas = ImageCanvas((pair_w, self.size_a[1]), round(self.canvas_a.zoom * pair_w),
                                       f"{titles[0]} → {titles[1]}: best match per layer", "dw-explorer-matches",
                                       style=self.style)
        self.pair_canvas.on_click(self._pair_click)
        self.pair_canvas.canvas.on_client_ready(self.refresh)
        self.grid = GridBox(layout=Layout(grid_gap="2px"))
        self.cells: dict[Hashable, ImageCanvas] = {}
        self.timesteps = list(timesteps) if timesteps else self._spread(self.all_timesteps)
        self.widget = VBox([HBox([self.canvas_a.widget, VBox([self.layer_select, self.info])]),
                            self.pair_canvas.widget, self.grid])
        self.widget.add_class("dw-correspondence-explorer")
        self._rebuild()

    # construction ---------------------------------------------------------------------------------
    @classmethod
    def from_trace(cls, trace: Any, point: Point | None = None, **kwargs: Any) -> CorrespondenceExplorer:
        """Original (reference branch) vs edited (current branch) features recorded in an edit trace."""
        return cls(trace.original, trace.result, trace_features(trace, "reference"),
                   trace_features(trace, "current"), point=point or default_query(trace, "source"),
                   titles=("original", "edited x̂₀"), images_b=trace_timestep_images(trace), **kwargs)

    @classmethod
    def from_images(cls, pipe: Any, image_a: Any, image_b: Any, layers: Sequence[str] | None = None,
                    timesteps: Sequence[int] = (261,), prompt: str = "", seed: int = 0,
                    **kwargs: Any) -> CorrespondenceExplorer:
        """Any two images through a diffusers pipeline's UNet (DIFT-style, see :class:`FeatureExtractor`; ``layers``
        default to the guidance layers of the pipeline's model family)."""
        from ..inspect.features import FeatureExtractor

        fx = FeatureExtractor(pipe, layers=layers, timesteps=timesteps, prompt=prompt, seed=seed)
        a, b = (np.asarray(_resize(im, fx.size)) for im in (image_a, image_b))
        return cls(a, b, fx(a), fx(b), timesteps=list(timesteps), **kwargs)

    # interaction ----------------------------------------------------------------------------------
    def set_point(self, x: float, y: float) -> None:
        """Query pixel (x, y) of image A; recomputes and redraws every heatmap."""
        W, H = self.size_a
        if not (0 <= x < W and 0 <= y < H):
            raise ValueError(f"point ({x}, {y}) lies outside image A of size {W}x{H}")
        self.point = (float(x), float(y))
        self.refresh()

    def _pair_click(self, x: float, y: float) -> None:
        point = self._pair.to_a((x, y))
        if point is not None:  # clicks on B's half of the pair view are ignored
            self.set_point(*point)

    @property
    def pair_timestep(self) -> int:
        """The timestep whose matches the pair view draws (the grid's first column)."""
        return self.timesteps[0]

    def set_timesteps(self, timesteps: Sequence[int]) -> None:
        """Columns of the grid (timesteps without features are ignored)."""
        ts = [int(t) for t in timesteps if int(t) in self.all_timesteps]
        if ts and ts != self.timesteps:
            self.timesteps = ts
            self._rebuild()

    def show_all_timesteps(self) -> None:
        """Grid over an even spread of every recorded timestep."""
        self.timesteps = self._spread(self.all_timesteps)
        self._rebuild()

    def static_figure(self):
        """The current grid as a matplotlib Figure (:func:`~dragon_widgets.inspect.plot_correspondence`)."""
        from ..inspect.plots import plot_correspondence

        return plot_correspondence(self.image_a, self.image_b, self.features_a, self.features_b, self.point,
                                   self._keys(), *self.titles, match_timestep=self.pair_timestep,
                                   image_b_at_match=self.images_b.get(self.pair_timestep))

    def save_html(self, path: Any, **options: Any) -> Any:
        """Write this explorer as one self-contained HTML file that works without Python (hover image A: every
        heatmap and match line is recomputed in the browser from the embedded features; nothing is loaded from the
        network). ``options``: see :func:`dragon_widgets.widgets.standalone.save_explorer_html`. Returns the path."""
        from .standalone import save_explorer_html

        return save_explorer_html(self, path, **options)

    # drawing --------------------------------------------------------------------------------------
    def _spread(self, ts: list[int]) -> list[int]:
        if len(ts) <= self.max_columns:
            return list(ts)
        idx = np.linspace(0, len(ts) - 1, self.max_columns).round().astype(int)
        return [ts[i] for i in idx]

    def _keys(self) -> list[tuple[str, int]]:
        return [(layer, t) for layer in self.layer_select.value for t in self.timesteps
                if (layer, t) in self.features_a and (layer, t) in self.features_b]

    def _rebuild(self) -> None:
        from ipywidgets import Layout

        keys = self._keys()
        self.cells = {k: self.cells.get(k) or ImageCanvas(self.size_b, self.cell, css_class="dw-explorer-cell",
                                                          style=self.style)
                      for k in keys}
        self.grid.children = [self.cells[k].widget for k in keys]
        # rows = layers × columns = timesteps; a single timestep lays the layers out side by side
        ncols = len(self.timesteps) if len(self.timesteps) > 1 else max(1, len(self.layer_select.value))
        self.grid.layout = Layout(grid_template_columns=f"repeat({ncols}, auto)", grid_gap="2px")
        for c in self.cells.values():
            c.canvas.on_client_ready(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        """Recompute the correspondences for the current point and redraw all canvases."""
        from ipycanvas import hold_canvas

        self.results = correspondence_grid(self.features_a, self.features_b, self.point, self.size_a, self.size_b,
                                           self._keys())
        with hold_canvas():
            self.canvas_a.draw_image(self.image_a)
            self.canvas_a.marker(*self.point, color="red")
            for key, cr in self.results.items():
                c = self.cells[key]
                under = self.images_b.get(key[1], self.image_b)
                heat = colorize(cr.similarity, "magma", -1.0, 1.0)
                median = float(np.median(cr.similarity))
                if cr.flat:  # no clear best match: dimmed, no cross
                    c.draw_image(blend(under, heat, 0.35))
                    c.set_title(f"<span style='color:#777'>{key[0]} t={key[1]} · flat: best {cr.score:.2f} ≈ "
                                f"median {median:.2f}</span>")
                else:
                    c.draw_image(blend(under, heat, 0.65))
                    c.marker(*cr.match, color="cyan", cross=True)
                    c.set_title(f"{key[0]} t={key[1]} · best {cr.score:.2f} (median {median:.2f})")
            self._draw_pair()
        legend = " ".join(f"<span style='color:{ln.color};background:#333;padding:0 3px'>{ln.key[0]} "
                          f"{ln.score:.2f}{' flat' if self.results[ln.key].flat else ''}</span>" for ln in self.lines)
        self.info.value = label_html(
            f"query {format_point(self.point)} in {self.titles[0]}; heatmaps over {self.titles[1]}: cosine "
            f"similarity −1…1, × = best match; dimmed = flat (best − median &lt; {FLAT_CONTRAST}: no clear match)"
            f"<br>match lines at t={self.pair_timestep}: {legend}", self.style)

    def _draw_pair(self) -> None:
        t = self.pair_timestep
        self._pair = side_by_side(self.image_a, self.images_b.get(t, self.image_b))
        self.lines = match_lines(self._pair, self.point, self.results, self.layers, t)  # colours fixed per layer
        c = self.pair_canvas
        c.draw_image(self._pair.image)
        for ln in self.lines:
            c.line(ln.start, ln.end, ln.color)
        c.marker(*self.point, color="red")


def _resize(image: Any, size: tuple[int, int]):
    from PIL import Image

    img = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    return img.convert("RGB").resize(size, Image.Resampling.BICUBIC)
