"""The engine: pure torch + diffusers (never imports widgets)."""

from .editor import DragonEditor, EditResult, Source
from .edits import EDIT_TYPES, Drag, Edit, Move, Paste, ReplaceAppearance, edit_from_dict
from .log import replay
from .memory import MemoryBank
from .official_image_prompt import load_image_prompt
from .pipeline import ModelNotAvailableError, load_pipeline
from .presets import PRESETS, ModeParams, Preset, get_preset
from .sampler import EditCancelled, GuidanceError
from .trace import EditTrace, StepRecord

__all__ = [
    "DragonEditor", "EditResult", "Source", "EDIT_TYPES", "Drag", "Edit", "Move", "Paste", "ReplaceAppearance",
    "edit_from_dict", "replay", "MemoryBank", "load_image_prompt", "ModelNotAvailableError", "load_pipeline", "PRESETS", "ModeParams",
    "Preset", "get_preset", "EditCancelled", "GuidanceError", "EditTrace", "StepRecord",
]
