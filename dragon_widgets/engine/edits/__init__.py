"""Edit requests as data: one module per mode (move, drag, landmark, appearance, paste) and a registry (the UI
descriptors are in :mod:`dragon_widgets.engine.ui_modes`).

Each edit validates itself against the input image and compiles into an :class:`EditPlan` — energy terms,
gradient regions, the initial-latent edit and the memory-bank rule — which the one sampler loop runs without
knowing which mode it is. Each mode owns a parameter dataclass (a :class:`ModeParams` subclass) that presets
hold per mode.
"""

from .base import Edit, EditContext, EditPlan, ModeParams
from .move import Move, MoveParams
from .drag import Drag, DragParams
from .landmark import Landmark, LandmarkParams
from .appearance import AppearanceParams, ReplaceAppearance
from .paste import Paste, PasteParams
from .registry import EDIT_TYPES, MODE_PARAMS, edit_from_dict, edit_type_names, params_class, register
from ...core.warp import warp_image

__all__ = [
    "Edit", "EditContext", "EditPlan", "ModeParams", "Move", "MoveParams", "Drag", "DragParams", "Landmark",
    "LandmarkParams", "ReplaceAppearance", "AppearanceParams", "Paste", "PasteParams", "EDIT_TYPES", "MODE_PARAMS",
    "edit_from_dict", "edit_type_names", "params_class", "register", "warp_image",
]
