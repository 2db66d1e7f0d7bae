"""The engine: pure torch + diffusers (never imports widgets)."""

from .editor import DragonEditor, EditResult, Source
from .edits import (EDIT_TYPES, AppearanceParams, Drag, DragParams, Edit, Landmark, LandmarkParams, Move, MoveParams,
                    Paste, PasteParams, ReplaceAppearance, edit_from_dict)
from .log import replay
from .memory import MemoryBank
from .pipeline import ModelNotAvailableError, load_pipeline
from .edits import ModeParams
from .presets import PRESETS, Preset, get_preset
from .sampler import EditCancelled, GuidanceError
from .trace import EditTrace, StepRecord

__all__ = [
    "DragonEditor", "EditResult", "Source", "EDIT_TYPES", "Drag", "Edit", "Landmark", "Move", "Paste", "ReplaceAppearance",
    "MoveParams", "DragParams", "LandmarkParams", "AppearanceParams", "PasteParams",
    "edit_from_dict", "replay", "MemoryBank", "ModelNotAvailableError", "load_pipeline", "PRESETS", "ModeParams",
    "Preset", "get_preset", "EditCancelled", "GuidanceError", "EditTrace", "StepRecord",
]
