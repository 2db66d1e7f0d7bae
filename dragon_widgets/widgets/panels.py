"""Inspection panels for an edit trace, composed under one timestep scrubber.

>>> from dragon_widgets.widgets.panels import InspectorApp
>>> InspectorApp(res.trace)             # res = editor.edit(src, edit, record=True)

Every panel is an ordinary ipywidgets widget (``.widget`` for the Python-drawn ones), so it can sit in
any HBox/VBox next to the editor app. Where a front end cannot show widgets, the app's display data
also carries the static figure of :func:`dragon_widgets.inspect.plot_overview`. ``presenter=True`` draws every
panel large enough to read from the back of a room at 1280×720; :meth:`InspectorApp.save_html` writes the
inspector as one self-contained HTML file (no kernel, no network).
"""

from __future__ import annotations

from typing import Any

import ipywidgets

from ..inspect._steps import get_step, step_label
from ..inspect.style import Style, get_style
from .panels_correspondence import CorrespondenceExplorer
from .panels_draw import widget_bundle, with_static_png
from .panels_energy import EnergyPanel
from .panels_trace import AttentionPanel, GradientPanel, StepView

__all__ = ["AttentionPanel", "CorrespondenceExplorer", "EnergyPanel", "GradientPanel", "InspectorApp", "StepView"]


def _header(text: str, style: Style | None = None) -> ipywidgets.HTML:
    size = (style.css_font + 2) if style is not None else 13
    return ipywidgets.HTML(f"<b style='font:{size}px sans-serif'>{text}</b>")


def gradient_header(terms: list[str]) -> str:
    """The gradient panel's heading for the recorded maps ``terms`` (energy terms and/or ``"applied"``)."""
    from ..core.trace import APPLIED

    per_term = [t for t in terms if t != APPLIED]
    if not per_term:
        return ("Gradient |g|: the update the sampler applied, g = c·Σ ∇E ⊙ region "
                "(per-term maps: record 'gradients')")
    if APPLIED in terms:
        return "Gradients |∂E/∂z_t| per term after regional masking, and their sum g, the update applied"
    return "Gradients |∂E/∂z_t| after regional masking"


class InspectorApp(ipywidgets.VBox):
    """All panels of one trace; the scrubber (``.scrubber``, an IntSlider over ``trace.steps``) drives them.

    Panels whose data the trace did not record are left out (``.panels`` names those present). The
    energy panel follows the scrubber in the browser (``jslink``) and clicking a step there moves it.
    ``step``: where the scrubber starts (default: the last guided step, whose x̂₀ is the least noisy of the guided
    ones); ``presenter=True``: large text, images and marks for a lecture room (1280×720).
    """

    def __init__(self, trace: Any, point: tuple[float, float] | None = None, *, step: int | None = None,
                 presenter: bool | Style = False, **kwargs: Any) -> None:
        from ..inspect.plots import default_step

        if trace is None or not getattr(trace, "steps", None):
            raise ValueError("trace must be an EditTrace with steps; edit with record=True")
        self.trace = trace
        self.style = st = get_style(presenter or "notebook")
        self.presenter = st.name == "presenter"
        self.point = point
        n = len(trace.steps)
        if step is not None:
            get_step(trace, step)  # a clear error for a bad index
        start = default_step(trace) if step is None else int(step) % n
        self.scrubber = ipywidgets.IntSlider(value=0, min=0, max=n - 1, description="step",
                                             continuous_update=False,
                                             layout=ipywidgets.Layout(width="640px" if self.presenter else "420px"))
        self.scrubber.add_class("dw-scrubber")
        self.play = ipywidgets.Play(value=0, min=0, max=n - 1, interval=400, description="play")
        ipywidgets.jslink((self.play, "value"), (self.scrubber, "value"))
        self.step_label = ipywidgets.HTML()
        self.panels: dict[str, Any] = {}
        self.step_view = StepView(trace, presenter=st)
        self.panels["step"] = self.step_view
        rows: list[ipywidgets.Widget] = []
        top = [self.step_view.widget]
        self.energy: EnergyPanel | None = None
        if any(s.energies for s in trace.steps):
            w, h = st.energy_size
            self.energy = EnergyPanel(trace, width=w, height=h, font_size=st.css_font - 1)
            ipywidgets.jslink((self.scrubber, "value"), (self.energy, "step"))
            self.energy.observe(self._energy_clicked, names="step")
            self.panels["energy"] = self.energy
            top.append(ipywidgets.VBox([_header("Energies (hover for values, click to jump)", st), self.energy]))
        rows.append(ipywidgets.HBox(top, layout=ipywidgets.Layout(flex_flow="row wrap")))
        self.explorer: CorrespondenceExplorer | None = None
        if any(s.features for s in trace.steps):
            t = int(trace.steps[start].timestep)  # built at the start step's column: no canvases made to be dropped
            recorded = sorted({int(s.timestep) for s in trace.steps if s.features and s.round == 0})
            first = [min(recorded, key=lambda r: abs(r - t))] if recorded else None
            self.explorer = CorrespondenceExplorer.from_trace(trace, point=point, presenter=st, timesteps=first)
            self.grid_view = ipywidgets.ToggleButtons(options=["this step", "grid over steps"], value="this step",
                                                      style={"button_width": "120px"})
            self.grid_view.observe(lambda _: self._sync_explorer(), names="value")
            self.panels["correspondence"] = self.explorer
            rows += [_header("Correspondence: original → edited (click the original)", st), self.grid_view,
                     self.explorer.widget]
        self.gradients: GradientPanel | None = None
        if any(s.grads for s in trace.steps):
            self.gradients = GradientPanel(trace, presenter=st)
            self.panels["gradients"] = self.gradients
            rows += [_header(gradient_header(self.gradients.terms), st), self.gradients.widget]
        self.attention: AttentionPanel | None = None
        if any(s.attention for s in trace.steps):
            self.attention = AttentionPanel(trace, point=point, presenter=st)
            self.panels["attention"] = self.attention
            rows += [_header("Memory-bank attention (click a query pixel)", st), self.attention.widget]
        self.scrubber.observe(self._on_scrub, names="value")
        controls = ipywidgets.HBox([self.play, self.scrubber, self.step_label])
        super().__init__([controls, *rows], **kwargs)
        self.add_class("dw-inspector")
        if self.presenter:
            self.add_class("dw-presenter")
        self.set_step(start)

    @property
    def step(self) -> int:
        return int(self.scrubber.value)

    def set_step(self, k: int) -> None:
        """Move the scrubber (and with it every panel) to ``trace.steps[k]``."""
        get_step(self.trace, k)
        if self.scrubber.value != k:
            self.scrubber.value = int(k)  # observer updates the panels
        else:
            self._update(int(k))

    def _on_scrub(self, change: dict) -> None:
        self._update(int(change["new"]))

    def _energy_clicked(self, change: dict) -> None:
        if int(change["new"]) != self.scrubber.value:
            self.scrubber.value = int(change["new"])

    def _update(self, k: int) -> None:
        s = self.trace.steps[k]
        self.step_label.value = (f"<span style='font:{self.style.css_font + 1}px sans-serif'>{step_label(s)} "
                                 f"{'guided' if s.guided else 'not guided'} ({k + 1}/{len(self.trace.steps)})</span>")
        self.step_view.set_step(k)
        if self.energy is not None and self.energy.step != k:
            self.energy.step = k
        self._sync_explorer()
        if self.gradients is not None:
            self.gradients.set_step(k)
        if self.attention is not None:
            self.attention.set_step(k)

    def _sync_explorer(self) -> None:
        if self.explorer is None:
            return
        if self.grid_view.value == "grid over steps":
            self.explorer.show_all_timesteps()
            return
        t = int(self.trace.steps[self.step].timestep)
        recorded = self.explorer.all_timesteps
        nearest = min(recorded, key=lambda r: abs(r - t))
        self.explorer.set_timesteps([nearest])

    def _repr_mimebundle_(self, **kwargs: Any) -> dict:
        from ..inspect.plots import plot_overview

        base = super()._repr_mimebundle_(**kwargs) if hasattr(ipywidgets.VBox, "_repr_mimebundle_") else \
            widget_bundle(self)
        return with_static_png(dict(base or {}), lambda: plot_overview(self.trace, self.step), "InspectorApp")

    def save_html(self, path: Any, **options: Any) -> Any:
        """Write this inspector as one self-contained HTML file that works without Python: the scrubber, play, the
        energy curves (hover for values, click to jump), x̂₀ per step, the gradient maps (magnitude and signed push,
        hover for values), the correspondence explorer (hover the original) and the memory-bank attention (hover
        x̂₀), every array embedded, nothing loaded from the network. ``options``: see
        :func:`dragon_widgets.widgets.standalone.inspector_html` (how many steps of features and attention to
        embed, which attention layers, presenter mode). Returns the path written."""
        from .standalone import save_inspector_html

        return save_inspector_html(self.trace, path, point=self.point, step=self.step,
                                   presenter=options.pop("presenter", self.presenter), **options)
