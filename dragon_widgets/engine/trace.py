"""What an edit records for the inspection panels (``res.trace``). Recording off costs nothing.

:class:`TraceRecorder` is the observer (see :mod:`.observers`) that turns the edit's step events into an
:class:`EditTrace`; ``editor.edit(..., record=...)`` attaches one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .observers import NEEDS

RECORDABLE = frozenset({"energies", "applied", "gradients", "previews", "features", "attention"})
#: The pseudo-term under which a trace keeps the update the sampler applied on a guided pass (record "applied"):
#: g = c·Σ_regions ∇E_region ⊙ mask_region, the sum of the per-term maps of "gradients". The loop computes it
#: anyway, so recording it costs no backward pass.
APPLIED = "applied"


def record_flags(record) -> frozenset[str]:
    """``None``/``False`` → nothing, ``True`` → everything, or an iterable of names from RECORDABLE."""
    if record is None or record is False:
        return frozenset()
    if record is True:
        return RECORDABLE
    if isinstance(record, str):
        record = {record}
    try:
        flags = frozenset(record)
    except TypeError:
        raise TypeError(f"record must be None, True or a set of {sorted(RECORDABLE)}, got {record!r}") from None
    unknown = flags - RECORDABLE
    if unknown:
        raise ValueError(f"record has unknown entries {sorted(unknown)}; choose from {sorted(RECORDABLE)}")
    return flags


@dataclass
class StepRecord:
    index: int  # sampler step i (0 = noisiest)
    timestep: int
    round: int = 0  # 0 = main pass, 1.. = time-travel repeats
    guided: bool = False
    energies: dict[str, float] = field(default_factory=dict)
    # term → (h, w) mean |∂E/∂z_t| after masking (record "gradients"); APPLIED → the same of the update g ("applied")
    grads: dict[str, np.ndarray] = field(default_factory=dict)
    grad_latents: dict[str, np.ndarray] = field(default_factory=dict)  # the same keys → (C, h, w) signed, masked
    x0: np.ndarray | None = None  # uint8 (H, W, 3) x̂₀ at working resolution
    features: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # layer → {"current", "reference"}
    attention: dict[str, dict] = field(default_factory=dict)  # bank layer → {"q", "k", "heads", "grid"}


@dataclass
class EditTrace:
    size: tuple[int, int]  # working (W, H)
    latent_size: tuple[int, int]
    layers: list[str]
    bank_layers: list[str]
    terms: list[str]
    masks: dict[str, np.ndarray]
    points: list[tuple[tuple[float, float], tuple[float, float]]]
    mode: str
    record: frozenset[str]
    original: np.ndarray | None = None
    result: np.ndarray | None = None
    steps: list[StepRecord] = field(default_factory=list)
    regions: dict[str, str] = field(default_factory=dict)  # term → gradient region: "edit" (M), "rest" (1−M), "all"

    def guided_steps(self) -> list[StepRecord]:
        return [s for s in self.steps if s.guided]

    def energy_series(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(step index, value) of one term over guided steps in execution order (time travel included)."""
        rows = [(s.index, s.energies[term]) for s in self.steps if term in s.energies]
        if not rows:
            return np.zeros(0, int), np.zeros(0)
        idx, val = zip(*rows)
        return np.asarray(idx), np.asarray(val, float)

    def at(self, index: int, round: int | None = None) -> StepRecord:
        """The record of sampler step ``index`` (the last round unless ``round`` is given)."""
        cands = [s for s in self.steps if s.index == index and (round is None or s.round == round)]
        if not cands:
            raise KeyError(f"no record for step {index}" + (f" round {round}" if round is not None else ""))
        return cands[-1]


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

