"""CompareView: before/after images side by side, or on top of each other with a draggable wipe (anywidget)."""

from __future__ import annotations

from typing import Any

import anywidget
import numpy as np
import traitlets

from . import _imaging
from ._binary import BinaryTrait
from ._frontend import esm

VIEWS = ("side", "wipe")


class CompareView(anywidget.AnyWidget):
    """Show ``before`` and ``after``: side by side (``view="side"``, the default) or as a wipe (``view="wipe"``),
    where ``position`` is the share of the width that shows "before" (0: all "after", so the edit is visible
    first; drag the handle to the right to uncover "before"). A toggle above the images switches the view."""

    _esm = esm("compare")

    before_data = BinaryTrait()
    after_data = BinaryTrait()
    image_format = traitlets.Unicode("png").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    view = traitlets.Unicode("side", help="'side' (before | after) or 'wipe' (one image, drag to compare)").tag(sync=True)
    position = traitlets.Float(0.0).tag(sync=True)
    display_width = traitlets.Int(0, help="CSS width of one image in px; 0 picks one and fits the space").tag(sync=True)

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

    def snapshot(self) -> dict:
        """What is shown now (encoded images and size), for :meth:`restore`."""
        return {k: getattr(self, k) for k in ("before_data", "after_data", "image_format", "width", "height")}

    def restore(self, state: dict) -> None:
        """Show a :meth:`snapshot` again."""
        with self.hold_sync():
            for k, v in state.items():
                setattr(self, k, v)

    @traitlets.validate("position")
    def _valid_position(self, proposal: dict) -> float:
        return min(1.0, max(0.0, float(proposal["value"])))

    @traitlets.validate("view")
    def _valid_view(self, proposal: dict) -> str:
        if proposal["value"] not in VIEWS:
            raise traitlets.TraitError(f"view must be one of {VIEWS}, got {proposal['value']!r}")
        return proposal["value"]
