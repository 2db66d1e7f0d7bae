"""dragon_widgets: DragonDiffusion / DiffEditor drag-style image editing for Jupyter."""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

# Public names, imported lazily so `import dragon_widgets` stays fast and widget-only use needs no torch.
_LAZY = {
    "PixelUnshuffleAutoencoder": "dragon_widgets.models.codec",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'dragon_widgets' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + list(_LAZY))
