"""The editor app's inspection: a cheap trace recorded on every run, an *Inspect* toggle that shows the
:class:`~dragon_widgets.widgets.panels.InspectorApp` of the current result in place, and the metrics line.

:func:`edit_with_trace` is the app's one call into the engine's edit with recording: a change in the trace API
is adapted here and nowhere else.
"""

from __future__ import annotations

import html
from typing import Any, Callable

import ipywidgets as W

#: What an app run records, by the level chosen under Advanced ("Inspect records"). ``light`` (the default) costs
#: no measurable time: energies, x̂₀ previews and the gradient map of the update the sampler applied on each guided
#: pass ("applied", which the loop computes anyway); per-term gradient maps cost one extra backward pass per energy
#: term on guided steps (+13 % for a drag, +26 % for a move on the embedded model); ``full`` is ``record=True``.
#: See benchmarks/RESULTS.md, "Editor app: trace and metrics cost".
RECORD_LEVELS: dict[str, frozenset] = {
    "light": frozenset({"energies", "previews", "applied"}),
    "gradients": frozenset({"energies", "previews", "applied", "gradients"}),
    "full": frozenset({"energies", "previews", "applied", "gradients", "features", "attention"}),
}
#: The level menu's entries: short, so the menu fits the controls column in every front end (classic Notebook's
#: page is 967 px wide at 1440); :data:`LEVEL_LABELS` explains the chosen one under the menu.
LEVEL_OPTIONS = {"light": "light", "gradients": "+ per-term gradients", "full": "full"}
LEVEL_LABELS = {
    "light": "energies, x̂₀ and the applied gradient per step (no measurable cost)",
    "gradients": "what light records and a gradient map per energy term (one more backward pass per term)",
    "full": "all of that and the per-layer features and memory-bank attention (slower, larger traces)",
}


def edit_with_trace(editor: Any, source: Any, edit: Any, *, seed: int, on_step: Callable | None = None,
                    on_reference_step: Callable | None = None, level: str = "light", preset: Any = None) -> Any:
    """``editor.edit`` recording the app's trace at ``level`` (a key of :data:`RECORD_LEVELS`), with ``preset``
    for this call (the editor is not changed)."""
    if level not in RECORD_LEVELS:
        raise ValueError(f"level must be one of {tuple(RECORD_LEVELS)}, got {level!r}")
    return editor.edit(source, edit, seed=seed, on_step=on_step, on_reference_step=on_reference_step,
                       record=RECORD_LEVELS[level], preset=preset)


def measure(editor: Any, result: Any) -> dict:
    """The engine's in-line metrics of ``result`` (:func:`dragon_widgets.engine.metrics.measure_edit`)."""
    from dragon_widgets.engine.metrics import measure_edit

    return measure_edit(editor, result)


def invented_count(metrics: dict | None) -> int:
    """How many regions outside the edit changed strongly (0 without metrics)."""
    from dragon_widgets.engine.result_check_text import invented_count as count

    return count(metrics)


def metrics_text(metrics: dict | None) -> str:
    """The metrics line in plain words (:func:`dragon_widgets.engine.metrics.result_check_text`)."""
    from dragon_widgets.engine.result_check_text import result_check_text

    return result_check_text(metrics, "boxed in red on the preview")


def metrics_html(metrics: dict | None) -> str:
    text = metrics_text(metrics)
    if not text:
        return ""
    tip = ("Strong change (CIELAB ΔE > 15) in regions outside the dilated edit area counts as invented or damaged; "
           "PSNR between input and result outside that area (higher: background kept). "
           "Handle positions after the edit are found by feature correspondence on the same UNet (DIFT-style).")
    warn = invented_count(metrics) > 0
    cls = "dw-metrics dw-metrics-warning" if warn else "dw-metrics"
    style = "font-size:12px;color:#a15c00;font-weight:600" if warn else "font-size:12px"
    return (f"<span class='{cls}' title='{html.escape(tip, quote=True)}' "
            f"style='{style}'>{html.escape(text)}</span>")


def without_trace(result: Any) -> Any:
    """A copy of an EditResult without its trace (older history entries keep image, log and metrics only)."""
    import dataclasses

    return result if result.trace is None else dataclasses.replace(result, trace=None)


class InspectTab:
    """The app's Inspect toggle, its panel container, the Advanced "Inspect records" level and the metrics line.

    ``set_result(result)`` shows its metrics and (when open) its inspector; :meth:`inspector` builds the
    :class:`InspectorApp` of the current trace on first use and keeps it until the next result.
    """

    @staticmethod
    def _hint(level: str) -> str:
        return f'<span style="font-size:smaller;opacity:.75">Records {html.escape(LEVEL_LABELS[level])}.</span>'

    def __init__(self) -> None:
        self.toggle = W.ToggleButton(value=False, description="Inspect", icon="search", disabled=True,
                                     tooltip="Look inside the last edit: x̂₀ per step, energies, gradients")
        self.toggle.add_class("dw-inspect-toggle")
        self.level = W.Dropdown(options=[(label, k) for k, label in LEVEL_OPTIONS.items()], value="light",
                                description="Inspect records", style={"description_width": "initial"},
                                layout=W.Layout(width="auto"))
        self.level.add_class("dw-inspect-level")
        self.level_hint = W.HTML(self._hint("light"))
        self.level_hint.add_class("dw-inspect-level-hint")
        self.level.observe(lambda ch: setattr(self.level_hint, "value", self._hint(ch["new"])), names="value")
        #: The menu and its explanation, as the Advanced panel shows them.
        self.level_box = W.VBox([self.level, self.level_hint])
        self.metrics = W.HTML("")
        self.metrics.add_class("dw-metrics-line")
        self.note = W.HTML("")
        self.container = W.VBox([], layout=W.Layout(display="none", margin="8px 0 0 0"))
        self.container.add_class("dw-inspect")
        self.trace: Any = None
        self._inspector: Any = None
        self.toggle.observe(lambda ch: self._toggled(bool(ch["new"])), "value")

    @property
    def open(self) -> bool:
        return bool(self.toggle.value)

    def set_result(self, result: Any) -> None:
        """Show ``result``'s metrics; its trace replaces the inspected one (None: nothing to inspect)."""
        self.metrics.value = metrics_html(getattr(result, "metrics", None)) if result is not None else ""
        trace = getattr(result, "trace", None) if result is not None else None
        if trace is not self.trace:
            self.trace, self._inspector = trace, None
        self.toggle.disabled = self.trace is None or not self.trace.steps
        if self.toggle.disabled:
            self.toggle.value = False
        self._render()

    def inspector(self) -> Any:
        """The :class:`InspectorApp` of the current trace (built once per result)."""
        if self.trace is None:
            raise ValueError("this result has no trace to inspect (older results in the history keep none)")
        if self._inspector is None:
            from .panels import InspectorApp

            self._inspector = InspectorApp(self.trace)
        return self._inspector

    def _toggled(self, on: bool) -> None:
        self._render()

    def _render(self) -> None:
        if not self.open or self.trace is None:
            self.container.layout.display = "none"
            self.container.children = ()
            return
        try:
            inspector = self.inspector()
        except Exception as exc:  # a panel failing must not break the editor
            self.note.value = (f"<span style='color:#b00020'>Cannot show the inspector: "
                               f"{html.escape(f'{type(exc).__name__}: {exc}')}</span>")
            self.container.children = (self.note,)
        else:
            n = len(self.trace.steps)
            self.note.value = (f"<b>Inspect</b> <small>({n} recorded steps; drag the step slider or press play; "
                               f"<code>app.inspect()</code> returns this inspector)</small>")
            self.container.children = (self.note, inspector)
        self.container.layout.display = ""
