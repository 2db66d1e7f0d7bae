"""Trace panels drawn from Python with ipycanvas: x̂₀ step view, gradient maps, memory-bank attention.

Each panel has ``set_step(k)`` (k indexes ``trace.steps``), which the inspector's scrubber calls.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..inspect._arrays import Point, format_point
from ..inspect._steps import get_step, recorded_step, step_image, step_label
from ..inspect.attention import AttentionMap, group_names, query_attention
from ..inspect.colors import MASK_COLORS, blend, colorize, term_color
from ..inspect.gradients import (PUSH_MEANING, gradient_direction, gradient_label, gradient_map, gradient_terms,
                                 push_axis, push_share)
from ..inspect.style import Style, get_style
from ..inspect.tracks import handle_tracks
from .panels_draw import ImageCanvas, StaticFallback, label_html

#: The masks the gradient panel outlines (as the static figure): the edit region and a move's old place.
GRADIENT_MASKS = ("edit", "source")


def _draw_masks(canvas: ImageCanvas, trace: Any, names: tuple[str, ...] | None = None) -> None:
    for name, m in (trace.masks or {}).items():
        if names is None or name in names:
            canvas.draw_outline(m, MASK_COLORS.get(name, (255, 255, 255)))


def _draw_points(canvas: ImageCanvas, trace: Any) -> None:
    for handle, target in trace.points or []:
        canvas.arrow(handle, target, "white")
        canvas.marker(*handle, color="red", radius=4)
        canvas.marker(*target, color="dodgerblue", radius=4)


class StepView(StaticFallback):
    """x̂₀ at the scrubbed step with the masks outlined, drag arrows and each handle's track so far.
    ``presenter=True``: larger image, text and marks (:data:`~dragon_widgets.inspect.style.PRESENTER`)."""

    def __init__(self, trace: Any, display: int | None = None, presenter: bool | Style = False) -> None:
        self.style = get_style(presenter or "notebook")
        self.trace = trace
        self.step = 0
        display = display or self.style.display
        self.canvas = ImageCanvas(tuple(trace.size), display, "x̂₀", "dw-step-view", style=self.style)
        self.canvas.canvas.on_client_ready(lambda: self.set_step(self.step))
        self.tracks = handle_tracks(trace) if trace.points and any(s.features for s in trace.steps) else None
        self.widget = self.canvas.widget
        self.set_step(0)

    def static_figure(self):
        from ..inspect.plots import plot_step

        return plot_step(self.trace, self.step)

    def set_step(self, k: int) -> None:
        from ipycanvas import hold_canvas

        s = get_step(self.trace, k)
        self.step = int(k)
        with hold_canvas():
            self.canvas.draw_image(step_image(self.trace, k))
            _draw_masks(self.canvas, self.trace)
            _draw_points(self.canvas, self.trace)
            if self.tracks is not None:
                ks, tr = self.tracks
                upto = [n for n, j in enumerate(ks) if j <= self.step]
                for p in range(tr.shape[1]):
                    if upto:
                        self.canvas.polyline(tr[upto, p], "lime")
                        self.canvas.marker(*tr[upto[-1], p], color="lime")
        tracked = self.tracks is not None and self.tracks[1].shape[1] > 0  # only point edits have handle tracks
        self.canvas.set_title(f"x̂₀ {step_label(s)}{' · guided' if s.guided else ''}"
                              f"{' (lime: handle track)' if tracked else ''}")


class GradientPanel(StaticFallback):
    """|∂E/∂z_t| per term at the scrubbed step, drawn opaque (black: no gradient there, e.g. outside the term's
    region), the edit region (yellow) and a move's old place (white) outlined; "direction" shows the signed push
    along the trace's one latent direction d (:func:`~dragon_widgets.inspect.push_axis`), so red and blue mean the
    same at every step: red = pushed as the edit region is, blue = the opposite way, grey = no push. The map
    ``"applied"`` is the update g the sampler applied (the sum of the terms' maps); a trace recorded with "applied"
    but not "gradients" (the editor app's default) has only that one.

    Unguided steps show the nearest earlier guided step (named in the title).
    """

    def __init__(self, trace: Any, display: int | None = None, presenter: bool | Style = False) -> None:
        from ipywidgets import HTML, HBox, Layout, ToggleButtons, VBox

        self.style = get_style(presenter or "notebook")
        self.trace = trace
        self.terms = gradient_terms(trace)
        if not self.terms:
            raise ValueError("trace has no recorded gradients; edit with record=True or "
                             "record={'applied', ...} / {'gradients', ...}")
        display = display or self.style.small_display
        self.step = 0
        self.shown_step: int | None = None
        self.maps: dict[str, np.ndarray] = {}
        self.axis: np.ndarray | None = None  # the trace's push direction d, computed on first use
        self.mode = ToggleButtons(options=["magnitude", "direction"], value="magnitude",
                                  style={"button_width": "110px"})
        self.mode.observe(lambda _: self.set_step(self.step), names="value")
        self.canvases = {t: ImageCanvas(tuple(trace.size), display, t, "dw-gradient-map", style=self.style)
                         for t in self.terms}
        for c in self.canvases.values():
            c.canvas.on_client_ready(lambda: self.set_step(self.step))
        self.caption = HTML()
        self.widget = VBox([self.mode, HBox([c.widget for c in self.canvases.values()],
                                            layout=Layout(flex_flow="row wrap")), self.caption])
        self.set_step(0)

    def static_figure(self):
        from ..inspect.plots import plot_gradients

        return plot_gradients(self.trace, self.shown_step, self.terms, direction=self.mode.value == "direction")

    def _push_axis(self) -> np.ndarray:
        if self.axis is None:
            self.axis = push_axis(self.trace)
        return self.axis

    def set_step(self, k: int) -> None:
        from ipycanvas import hold_canvas

        get_step(self.trace, k)
        self.step = int(k)
        j = recorded_step(self.trace, self.step, "grads")
        self.shown_step = j
        s = self.trace.steps[j]
        direction = self.mode.value == "direction" and bool(s.grad_latents)
        with hold_canvas():
            for term, c in self.canvases.items():
                if term not in (s.grads or {}):
                    c.draw_image(step_image(self.trace, j) // 3)
                    c.set_title(f"{term}: not evaluated")
                    continue
                if direction and term in s.grad_latents:
                    axis = self._push_axis()
                    d = gradient_direction(s, term, axis=axis)
                    lim = float(np.abs(d).max()) or 1.0
                    self.maps[term] = d
                    heat = colorize(d, "coolwarm", -lim, lim)
                    title = f"{term}: push along d ({push_share(s, term, axis):.0%} of it)"
                else:
                    g = gradient_map(s, term)
                    self.maps[term] = g
                    heat = colorize(g, "inferno", 0.0, float(g.max()) or 1.0)
                    title = f"{gradient_label(term)} max {g.max():.2e}"
                c.draw_image(heat)  # opaque: a cell without gradient reads as zero, not as x̂₀
                _draw_masks(c, self.trace, GRADIENT_MASKS)
                if direction:
                    _draw_points(c, self.trace)
                color = term_color(term, self.trace.terms.index(term)) if term in (self.trace.terms or []) else "#222"
                c.set_title(f"<span style='color:{color}'>{title}</span> · {step_label(s)}"
                            f"{'' if j == self.step else ' (last guided)'}")
        note = (PUSH_MEANING + "." if direction else
                "Black: no gradient (outside the term's region). Yellow: the edit region; white: a move's old place.")
        self.caption.value = label_html(f"<i>{note}</i>", self.style)


class AttentionPanel(StaticFallback):
    """Memory-bank attention: click a query pixel on x̂₀; maps of its attention weights over the key tokens."""

    def __init__(self, trace: Any, layer: str | None = None, point: Point | None = None,
                 display: int | None = None, presenter: bool | Style = False) -> None:
        from ipywidgets import Dropdown, HBox, Layout, VBox

        self.style = get_style(presenter or "notebook")
        display = display or self.style.small_display
        self.trace = trace
        layers = []
        for s in trace.steps:
            layers += [name for name in (s.attention or {}) if name not in layers]
        if not layers:
            raise ValueError("trace has no recorded attention; edit with record=True or record={'attention', ...}")
        self.step = 0
        self.shown_step: int | None = None
        self.result: AttentionMap | None = None
        W, H = trace.size
        from ..inspect.plots import default_query

        self.point: Point = point or default_query(trace, "target")
        self.layer = Dropdown(options=layers, value=layer or layers[0], description="layer",
                              layout=Layout(width="420px"))
        self.layer.observe(lambda _: self.set_step(self.step), names="value")
        self.query = ImageCanvas((W, H), display, "x̂₀: click a query pixel", "dw-attention-query", style=self.style)
        self.query.on_click(self.set_point)
        self.query.canvas.on_client_ready(lambda: self.set_step(self.step))
        self.groups: list[ImageCanvas] = []
        self.row = HBox([self.query.widget], layout=Layout(flex_flow="row wrap"))
        self.display = display
        self.widget = VBox([self.layer, self.row])
        self.set_step(0)

    def set_point(self, x: float, y: float) -> None:
        """Query pixel (x, y) of the working image."""
        W, H = self.trace.size
        if not (0 <= x < W and 0 <= y < H):
            raise ValueError(f"point ({x}, {y}) lies outside the image of size {W}x{H}")
        self.point = (float(x), float(y))
        self.set_step(self.step)

    def static_figure(self):
        from ..inspect.plots import plot_attention

        return plot_attention(self.trace, self.shown_step, self.layer.value, self.point)

    def set_step(self, k: int) -> None:
        from ipycanvas import hold_canvas

        get_step(self.trace, k)
        self.step = int(k)
        layer = self.layer.value
        j = recorded_step(self.trace, self.step, lambda s: bool(s.attention) and layer in s.attention)
        self.shown_step = j
        s = self.trace.steps[j]
        am = query_attention(s.attention[self.layer.value], self.point, tuple(self.trace.size))
        self.result = am
        n = am.maps.shape[0]
        names = group_names(n)
        while len(self.groups) < n:
            c = ImageCanvas(tuple(self.trace.size), self.display, css_class="dw-attention-map", style=self.style)
            c.canvas.on_client_ready(lambda: self.set_step(self.step))
            self.groups.append(c)
        self.row.children = [self.query.widget] + [c.widget for c in self.groups[:n]]
        img = step_image(self.trace, j)
        vmax = float(am.maps.max()) or 1.0
        with hold_canvas():
            self.query.draw_image(img)
            self.query.marker(*self.point, color="red")
            for g in range(n):
                under = np.asarray(self.trace.original) if names[g] == "bank" else img
                self.groups[g].draw_image(blend(under, colorize(am.maps[g], "viridis", 0.0, vmax), 0.7))
                self.groups[g].set_title(f"{names[g]} tokens: {am.maps[g].sum():.0%} of the weight")
        note = "" if n else f" · {am.weights.size} masked bank tokens, top weight {am.weights.max():.0%}"
        self.query.set_title(f"query {format_point(self.point)} · {step_label(s)}{note}")
