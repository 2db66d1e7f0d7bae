"""Recording an edit for the inspection panels (``res.trace``). Recording off costs nothing.

:class:`TraceRecorder` is the observer (see :mod:`.observers`) that turns the edit's step events into an
:class:`~dragon_widgets.core.trace.EditTrace` (plain data, defined in the torch-free core);
``editor.edit(..., record=...)`` attaches one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.trace import APPLIED, RECORDABLE, EditTrace, StepRecord, record_flags
from .observers import NEEDS

__all__ = ["APPLIED", "RECORDABLE", "EditTrace", "StepRecord", "TraceRecorder", "record_flags"]


def _keep_gradient(rec: StepRecord, name: str, grad: Any) -> None:
    """Store a (1, C, h, w) latent gradient in ``rec`` under ``name``: signed latents and the (h, w) mean |·| map."""
    gl = grad[0].detach().float().cpu()
    rec.grad_latents[name] = gl.numpy()
    rec.grads[name] = gl.abs().mean(0).numpy()


class TraceRecorder:
    """Observer that appends one :class:`StepRecord` per pass of an edit to ``trace`` (what ``trace.record`` names).

    It asks the loop for exactly the data it records (``needs``); gradients are recorded per energy term, computed
    in addition to the region-grouped update, so a recorded edit gives the same image as an unrecorded one. The
    update itself ("applied") is the event's ``gradient``, which every guided pass carries: it costs no extra pass.
    """

    def __init__(self, trace: EditTrace):
        if APPLIED in trace.record and APPLIED in trace.terms:
            raise ValueError(f"an energy term is named {APPLIED!r}, the name the trace keeps the applied update "
                             f"under; rename the term (terms: {trace.terms})")
        self.trace = trace
        self.needs = frozenset(trace.record) & NEEDS
        self._reference: tuple[int, list[np.ndarray]] | None = None  # (step, float16 copies) shared by its rounds

    def __call__(self, event: Any) -> None:
        if event.phase != "edit":
            return
        record = self.trace.record
        rec = StepRecord(index=event.index, timestep=int(event.timestep), round=event.round, guided=event.guided)
        if "energies" in record and event.energies:
            rec.energies = {k: float(v.detach()) for k, v in event.energies.items()}
        if "gradients" in record:
            for term, grad in event.term_gradients.items():
                _keep_gradient(rec, term, grad)
        if "applied" in record and event.guided and event.gradient is not None:
            _keep_gradient(rec, APPLIED, event.gradient)
        if "features" in record and event.features:
            rec.features = {layer: {"current": c.detach().to("cpu").half().numpy(), "reference": r}
                            for layer, c, r in zip(self.trace.layers, event.features["current"],
                                                   self._reference_copies(event))}
        if "previews" in record:
            rec.x0 = event.image()
        if "attention" in record and event.attention:
            rec.attention = dict(event.attention)
        self.trace.steps.append(rec)

    def _reference_copies(self, event: Any) -> list[np.ndarray]:
        """The step's reference features at their own resolution in float16, one copy shared by the time-travel
        rounds of the step (at SD sizes the guidance-grid copies would take GBs per edit)."""
        if self._reference is None or self._reference[0] != event.index:
            self._reference = (event.index, [r.detach().to("cpu").half().numpy() for r in event.features["reference"]])
        return self._reference[1]

