"""Energy panel: each energy term per step, drawn in the browser (hover shows values, click picks a step)."""

from __future__ import annotations

import pathlib
from typing import Any

import anywidget
import numpy as np
import traitlets

from ..inspect.colors import term_color
from ..inspect.energy import ROUND_OFFSET, EnergySeries, energy_series
from ._binary import BinaryTrait
from ._frontend import esm, is_built

_SOURCE = pathlib.Path(__file__).resolve().parents[2] / "src_js" / "panels.js"


def _panels_esm() -> pathlib.Path | str:
    """The bundled ``static/panels.js``; in an unbuilt source checkout the (import-free) source itself."""
    if not is_built("panels") and _SOURCE.is_file():
        return _SOURCE
    return esm("panels")


class EnergyPanel(anywidget.AnyWidget):
    """Energy curves of an edit trace against the sampler step i (time-travel rounds just right of their step, as in
    :func:`~dragon_widgets.inspect.plot_energies`); ``step`` (index into ``trace.steps``) is the scrubbed step, drawn
    as a cursor (pinned to the right edge past the last guided step).

    Values travel as float32 bytes (NaN where a term was not evaluated), never as JSON lists.
    """

    _esm = _panels_esm()
    terms = traitlets.List(traitlets.Unicode()).tag(sync=True)
    colors = traitlets.List(traitlets.Unicode()).tag(sync=True)
    n_steps = traitlets.Int(0).tag(sync=True)
    values = BinaryTrait()  # float32 (n_terms, n_steps), C order
    index = BinaryTrait()  # int32 (n_steps,)
    timestep = BinaryTrait()  # int32 (n_steps,)
    round = BinaryTrait()  # int32 (n_steps,)
    guided = BinaryTrait()  # uint8 (n_steps,)
    step = traitlets.Int(0).tag(sync=True)
    width = traitlets.Int(520).tag(sync=True)
    height = traitlets.Int(220).tag(sync=True)
    font_size = traitlets.Int(11).tag(sync=True)  # CSS px of the axis text, legend and hover tip
    round_offset = traitlets.Float(ROUND_OFFSET).tag(sync=True)  # x of round r of step i: i + r·round_offset

    def __init__(self, trace: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.series: EnergySeries | None = None
        if trace is not None:
            self.set_series(trace if isinstance(trace, EnergySeries) else energy_series(trace))

    def set_series(self, series: EnergySeries) -> None:
        """Send a new :class:`EnergySeries` to the front end."""
        self.series = series
        with self.hold_sync():
            self.terms = list(series.terms)
            self.colors = [term_color(t, k) for k, t in enumerate(series.terms)]
            self.n_steps = int(series.values.shape[1])
            self.values = np.ascontiguousarray(series.values, dtype=np.float32).tobytes()
            self.index = series.index.astype(np.int32).tobytes()
            self.timestep = series.timestep.astype(np.int32).tobytes()
            self.round = series.round.astype(np.int32).tobytes()
            self.guided = series.guided.astype(np.uint8).tobytes()

    @traitlets.validate("step")
    def _valid_step(self, proposal: dict) -> int:
        v = int(proposal["value"])
        if self.n_steps and not 0 <= v < self.n_steps:
            raise traitlets.TraitError(f"step must be in [0, {self.n_steps}), got {v}")
        return v
