"""The engine: torch + diffusers (never imports widgets, bench or inspect). Names are imported lazily, so
``import dragon_widgets.engine`` (and its torch-free parts, e.g. the UI mode descriptors) costs no torch import
until an engine class is used."""

from __future__ import annotations

from .._lazy import lazy_exports

_LAZY = {
    "DragonEditor": "editor", "EditResult": "editor", "Source": "editor",
    "EDIT_TYPES": "edits", "Edit": "edits", "Move": "edits", "Drag": "edits", "Landmark": "edits",
    "ReplaceAppearance": "edits", "Paste": "edits", "edit_from_dict": "edits", "ModeParams": "edits",
    "MoveParams": "edits", "DragParams": "edits", "LandmarkParams": "edits", "AppearanceParams": "edits",
    "PasteParams": "edits",
    "replay": "log_replay", "measure_edit": "metrics", "dift_features": "dift", "block_features": "dift", "MetricSettings": "metrics", "MemoryBank": "memory", "load_image_prompt": "official_image_prompt",
    "ModelNotAvailableError": "pipeline", "load_pipeline": "pipeline",
    "PRESETS": "presets", "Preset": "presets", "get_preset": "presets",
    "GuidanceError": "sampler", "EditTrace": "dragon_widgets.core.trace", "StepRecord": "dragon_widgets.core.trace",
    "TraceRecorder": "trace",
    "EditCancelled": "observers", "StepEvent": "observers", "StepChannel": "observers", "CancelToken": "observers",
    "PreviewObserver": "observers", "ProgressObserver": "observers",
    "Conditioning": "conditioning", "FAMILIES": "families", "ModelFamily": "families", "family_of": "families",
}
__all__ = sorted(_LAZY)
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
