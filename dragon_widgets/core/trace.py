"""What an edit records for the inspection panels (``res.trace``), as plain data: numpy arrays, floats and
strings, no tensors (torch-free, so the inspection functions and figures work on a trace without torch).
:class:`~dragon_widgets.engine.trace.TraceRecorder` fills it during an edit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

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
