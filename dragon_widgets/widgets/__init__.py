"""Jupyter widgets: :class:`DragCanvas` (drawing), :class:`CompareView`, :class:`EditorApp` (the editor)."""

from __future__ import annotations

from .box_mask import box_to_mask, sam_box_masker
from .canvas import DragCanvas
from .compare import CompareView

__all__ = ["DragCanvas", "CompareView", "EditorApp", "box_to_mask", "sam_box_masker"]


def __getattr__(name: str):
    if name == "EditorApp":  # imports the engine lazily
        from .app import EditorApp

        return EditorApp
    raise AttributeError(name)
