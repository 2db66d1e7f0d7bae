"""CompareView: before/after images with a draggable wipe divider (anywidget)."""

from __future__ import annotations

from typing import Any

import anywidget
import numpy as np
import traitlets

from . import _imaging
from ._binary import BinaryTrait
from ._frontend import esm


class CompareView(anywidget.AnyWidget):
    """Show ``before`` and ``after`` on top of each other; drag to wipe between them."""

    _esm = esm("compare")

    before_data = BinaryTrait()
    after_data = BinaryTrait()
    image_format = traitlets.Unicode("png").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    position = traitlets.Float(0.5).tag(sync=True)
    display_width = traitlets.Int(0).tag(sync=True)

    def __init__(self, before: Any = None, after: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if before is not None:
            self.set_images(before, after)

    def set_images(self, before: Any, after: Any = None) -> None:
        """Show a new pair; ``after`` is resized to ``before``'s size; ``None`` shows ``before`` alone."""
        b = _imaging.to_rgb_array(before, "before")
        a = None if after is None else _imaging.to_rgb_array(after, "after")
        if a is not None and a.shape != b.shape:
            from PIL import Image

            a = np.asarray(Image.fromarray(a).resize((b.shape[1], b.shape[0]), Image.BICUBIC))
        with self.hold_sync():
            self.width, self.height = b.shape[1], b.shape[0]
            self.before_data = _imaging.encode(b)
            self.after_data = b"" if a is None else _imaging.encode(a)

    @traitlets.validate("position")
    def _valid_position(self, proposal: dict) -> float:
        return min(1.0, max(0.0, float(proposal["value"])))
