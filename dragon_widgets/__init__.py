"""dragon_widgets: DragonDiffusion / DiffEditor drag-style image editing for Jupyter."""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# Public names, imported lazily so `import dragon_widgets` stays fast and widget-only use needs no torch.
_LAZY = {
    "DragCanvas": "dragon_widgets.widgets",
    "EditorApp": "dragon_widgets.widgets",
    "InspectorApp": "dragon_widgets.widgets.panels",
    "CorrespondenceExplorer": "dragon_widgets.widgets.panels",
    "DragonEditor": "dragon_widgets.engine",
    "EditResult": "dragon_widgets.engine",
    "Source": "dragon_widgets.engine",
    "EDIT_TYPES": "dragon_widgets.engine",
    "Drag": "dragon_widgets.engine",
    "Edit": "dragon_widgets.engine",
    "Move": "dragon_widgets.engine",
    "Landmark": "dragon_widgets.engine",
    "MoveParams": "dragon_widgets.engine",
    "DragParams": "dragon_widgets.engine",
    "LandmarkParams": "dragon_widgets.engine",
    "AppearanceParams": "dragon_widgets.engine",
    "PasteParams": "dragon_widgets.engine",
    "UI_MODES": "dragon_widgets.engine.ui_modes",
    "Paste": "dragon_widgets.engine",
    "ReplaceAppearance": "dragon_widgets.engine",
    "edit_from_dict": "dragon_widgets.engine",
    "replay": "dragon_widgets.engine",
    "measure_edit": "dragon_widgets.engine",
    "MemoryBank": "dragon_widgets.engine",
    "load_image_prompt": "dragon_widgets.engine",
    "ModelNotAvailableError": "dragon_widgets.engine",
    "load_pipeline": "dragon_widgets.engine",
    "PRESETS": "dragon_widgets.engine",
    "ModeParams": "dragon_widgets.engine",
    "Preset": "dragon_widgets.engine",
    "get_preset": "dragon_widgets.engine",
    "EditCancelled": "dragon_widgets.engine",
    "GuidanceError": "dragon_widgets.engine",
    "EditTrace": "dragon_widgets.engine",
    "StepRecord": "dragon_widgets.engine",
    "StepEvent": "dragon_widgets.engine",
    "PreviewObserver": "dragon_widgets.engine",
    "InversionCache": "dragon_widgets.engine",
    "ProgressObserver": "dragon_widgets.engine",
    "CancelToken": "dragon_widgets.engine",
    "TraceRecorder": "dragon_widgets.engine",
    "PixelUnshuffleAutoencoder": "dragon_widgets.models.codec",
    "save_animation": "dragon_widgets.inspect.animation",
    "save_slide": "dragon_widgets.inspect.slides",
    "presenter": "dragon_widgets.inspect.style",
}
__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
