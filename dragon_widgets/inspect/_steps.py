"""Picking steps and their images out of a trace."""

from __future__ import annotations

from typing import Any

import numpy as np


def get_step(trace: Any, step: int) -> Any:
    """``trace.steps[step]`` with a clear error (``step`` indexes execution order, negatives allowed)."""
    n = len(trace.steps)
    if not isinstance(step, (int, np.integer)) or not -n <= step < n:
        raise ValueError(f"step must be an integer index into trace.steps (0..{n - 1}), got {step!r}")
    return trace.steps[int(step)]


def step_image(trace: Any, step: int) -> np.ndarray:
    """x̂₀ at a step: its own preview, else the latest earlier preview, else the original image."""
    get_step(trace, step)
    k = int(step) % len(trace.steps)
    for s in reversed(trace.steps[: k + 1]):
        if s.x0 is not None:
            return np.asarray(s.x0)
    return np.asarray(trace.original)


def step_label(s: Any) -> str:
    """"i=12 t=741" (plus the time-travel round when > 0)."""
    return f"i={s.index} t={int(s.timestep)}" + (f" r{s.round}" if s.round else "")
