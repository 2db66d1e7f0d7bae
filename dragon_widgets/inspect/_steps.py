"""Picking steps and their images out of a trace."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def get_step(trace: Any, step: int) -> Any:
    """``trace.steps[step]`` with a clear error (``step`` indexes execution order, negatives allowed)."""
    n = len(trace.steps)
    if not isinstance(step, (int, np.integer)) or not -n <= step < n:
        raise ValueError(f"step must be an integer index into trace.steps (0..{n - 1}), got {step!r}")
    return trace.steps[int(step)]


def recorded_step(trace: Any, k: int, has: str | Callable[[Any], bool], after: bool = True) -> int | None:
    """Index of the latest step at or before ``k`` (an index into ``trace.steps``, negatives allowed) that recorded
    ``has``: a field name (``"grads"``, ``"x0"``, ...; recorded when set and non-empty) or a predicate on the step.
    When none did: the earliest later step that did (``after``), else ``None``; ``None`` when no step did."""
    test = has if callable(has) else (lambda s: _recorded(getattr(s, has, None)))
    k = int(k) % len(trace.steps) if trace.steps else 0
    later = None
    for j in range(len(trace.steps) - 1, -1, -1):
        if test(trace.steps[j]):
            if j <= k:
                return j
            later = j
    return later if after else None


def _recorded(value: Any) -> bool:
    if value is None:
        return False
    return len(value) > 0 if hasattr(value, "__len__") and not isinstance(value, np.ndarray) else True


def step_image(trace: Any, step: int) -> np.ndarray:
    """x̂₀ at a step: its own preview, else the latest earlier preview, else the original image."""
    get_step(trace, step)
    j = recorded_step(trace, step, "x0", after=False)
    return np.asarray(trace.original if j is None else trace.steps[j].x0)


def step_label(s: Any) -> str:
    """"i=12 t=741" (plus the time-travel round when > 0)."""
    return f"i={s.index} t={int(s.timestep)}" + (f" r{s.round}" if s.round else "")
