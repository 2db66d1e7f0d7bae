"""Energy curves: each term's recorded value (w·E as applied) per guidance evaluation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

#: How far right of its sampler step i a time-travel round r is drawn on an energy axis: x = i + r·ROUND_OFFSET (the
#: time-travel steps are two apart, so the rounds of one step never reach the next).
ROUND_OFFSET = 0.3


@dataclass(frozen=True)
class EnergySeries:
    """Energy values in execution order; one column per entry of ``trace.steps``."""

    terms: list[str]
    values: np.ndarray  # float64 (n_terms, n_steps); NaN where the term was not evaluated
    index: np.ndarray  # int (n_steps,) sampler step i of each column
    timestep: np.ndarray  # int (n_steps,)
    round: np.ndarray  # int (n_steps,) 0 = main pass, 1.. = time-travel rounds
    guided: np.ndarray  # bool (n_steps,)

    def term(self, name: str) -> np.ndarray:
        """The row of one term."""
        if name not in self.terms:
            raise KeyError(f"term {name!r} not in {self.terms}")
        return self.values[self.terms.index(name)]

    @property
    def total(self) -> np.ndarray:
        """Sum over terms per column (NaN where no term was evaluated)."""
        with np.errstate(invalid="ignore"):
            tot = np.nansum(self.values, axis=0)
        tot[np.all(np.isnan(self.values), axis=0)] = np.nan
        return tot

    @property
    def positions(self) -> np.ndarray:
        """x of each column on an energy axis: its sampler step i, plus ``round·ROUND_OFFSET`` for time travel."""
        return self.index.astype(np.float64) + self.round * ROUND_OFFSET

    @property
    def evaluated(self) -> np.ndarray:
        """bool (n_steps,): columns where at least one term has a value."""
        return ~np.all(np.isnan(self.values), axis=0) if self.values.size else np.zeros(len(self.index), bool)

    def span(self) -> tuple[float, float]:
        """(first, last) x of the columns with energies, the range an energy axis needs."""
        x = self.positions[self.evaluated]
        return (float(x.min()), float(x.max())) if x.size else (0.0, 1.0)

    def time_travel_spans(self) -> list[tuple[int, int]]:
        """(first, last) column of each contiguous block of time-travel rounds (round > 0)."""
        spans, start = [], None
        for k, r in enumerate(self.round):
            if r > 0 and start is None:
                start = k
            if start is not None and (r == 0 or k == len(self.round) - 1):
                end = k if r > 0 else k - 1
                # include the main-pass step the rounds repeat (the column before them)
                spans.append((max(start - 1, 0), end))
                start = None
        return spans


def energy_series(trace: Any) -> EnergySeries:
    """Collect ``step.energies`` of every step of ``trace`` into an :class:`EnergySeries`."""
    steps = list(trace.steps)
    terms = list(trace.terms)
    for s in steps:
        for t in (s.energies or {}):
            if t not in terms:
                terms.append(t)
    values = np.full((len(terms), len(steps)), np.nan)
    for k, s in enumerate(steps):
        for t, v in (s.energies or {}).items():
            values[terms.index(t), k] = float(v)
    return EnergySeries(
        terms=terms, values=values,
        index=np.array([s.index for s in steps], dtype=int),
        timestep=np.array([int(s.timestep) for s in steps], dtype=int),
        round=np.array([s.round for s in steps], dtype=int),
        guided=np.array([bool(s.guided) for s in steps], dtype=bool),
    )
