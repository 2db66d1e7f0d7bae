"""Feature maps recorded in an edit trace, keyed like the feature extractor's: ``(layer, timestep)``.

The "reference" branch holds the features of the inverted original latent z_t^gud, the "current" branch
those of the latent being edited, so the explorer compares original vs edited on the guidance's own features.
"""

from __future__ import annotations

from typing import Any

BRANCHES = ("reference", "current")


def trace_features(trace: Any, branch: str = "current", rounds: tuple[int, ...] = (0,)) -> dict[tuple[str, int], Any]:
    """``{(layer, timestep): (C, h, w)}`` of one branch for steps of the given time-travel ``rounds``.

    Raises ``ValueError`` if the trace recorded no features (``record`` without ``"features"``).
    """
    if branch not in BRANCHES:
        raise ValueError(f"branch must be one of {BRANCHES}, got {branch!r}")
    out: dict[tuple[str, int], Any] = {}
    for step in trace.steps:
        if step.round not in rounds or not step.features:
            continue
        for layer, pair in step.features.items():
            out.setdefault((layer, int(step.timestep)), pair[branch])
    if not out:
        raise ValueError("trace has no recorded features; edit with record=True or record={'features', ...}")
    return out


def feature_timesteps(trace: Any) -> list[int]:
    """Timesteps of the main-pass steps that carry features, in execution order."""
    return [int(s.timestep) for s in trace.steps if s.round == 0 and s.features]


def steps_with(trace: Any, field: str) -> list[int]:
    """Indices into ``trace.steps`` whose ``field`` (``energies``, ``grads``, ``features``, ...) is non-empty."""
    return [k for k, s in enumerate(trace.steps) if getattr(s, field, None) is not None and len(getattr(s, field)) > 0]
