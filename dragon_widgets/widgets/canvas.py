"""DragCanvas: draw masks, boxes, an arrow and handle→target point pairs on an image (anywidget)."""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Sequence

import anywidget
import numpy as np
import traitlets
from PIL import Image

from . import _imaging
from ._binary import BinaryTrait
from ._frontend import esm
from ._upload import CHUNK_BYTES, MAX_UPLOAD_BYTES, UploadAssembler, decode_image_file

TOOLS = ("brush", "eraser", "box", "arrow", "points", "region")
#: Traits a front end may change; anything else in an update message is rejected.
FRONTEND_WRITABLE = frozenset(
    {"mask_data", "region_data", "points", "boxes", "arrow", "tool", "brush_size", "overlay_opacity"}
)

#: Most point pairs / boxes a canvas holds (the page stops adding more; longer lists from it are refused at once).
MAX_POINTS = 1000
MAX_BOXES = 1000

Point = tuple[float, float]
BoxMasker = Callable[[np.ndarray, tuple[float, float, float, float]], np.ndarray]
#: ``f(data, name)`` called with the bytes of an image file the user opened or dropped on the canvas.
UploadHandler = Callable[[bytes, str], None]


class DragCanvas(anywidget.AnyWidget):
    """An image with drawing tools for drag-style editing.

    Parameters
    ----------
    image : PIL.Image.Image or numpy.ndarray
        The image to draw on (uint8 (H, W, 3) array, grayscale/RGBA/float arrays are converted).
    tools : sequence of str, optional
        Tools shown in the toolbar, from ``brush, eraser, box, arrow, points, region``.
    box_to_mask : bool or callable, optional
        When a box is drawn, add the object inside it to the mask. ``True`` uses the built-in
        colour-based segmenter (:func:`dragon_widgets.widgets.box_mask.box_to_mask`, no weights);
        a callable ``f(image_uint8, (x0, y0, x1, y1)) -> bool mask`` plugs in e.g. SAM
        (:func:`dragon_widgets.widgets.box_mask.sam_box_masker`).

    Python sees :attr:`mask` and :attr:`region` (bool arrays), :attr:`points` (``[[[x0, y0], [x1, y1]], ...]``),
    :attr:`boxes` (``[[x0, y0, x1, y1], ...]``) and :attr:`arrow` (``[[x0, y0], [x1, y1]]`` or ``None``),
    all in pixels of the image, and can set each of them.

    Bounds (kept by the page and checked again here, for the page is not trusted): point pairs and arrow ends lie
    on a pixel, ``0 <= x <= width - 1`` (a click on the far edge, x = width, becomes width - 1, as the engine
    expects); box corners are edges, ``0 <= x <= width``; at most :data:`MAX_POINTS` pairs and :data:`MAX_BOXES`
    boxes; ``1 <= brush_size <= max(width, height)``. An update from the page that breaks any of these is
    refused whole (nothing of it is applied) and reported in :attr:`error`; no exception reaches the kernel.

    The *Open image…* button under the canvas, and dropping (or pasting) an image file on the canvas, send the file to
    Python as binary chunks (at most :data:`MAX_UPLOAD_BYTES`); by default it replaces the image
    (see :meth:`on_upload`).
    """

    _esm = esm("canvas")

    image_data = BinaryTrait(help="encoded image (PNG or JPEG bytes)")
    image_format = traitlets.Unicode("png").tag(sync=True)
    width = traitlets.Int(0).tag(sync=True)
    height = traitlets.Int(0).tag(sync=True)
    mask_data = BinaryTrait(help="mask as H*W uint8 bytes (0 or 1), row-major")
    region_data = BinaryTrait(help="reference region as H*W uint8 bytes (0 or 1)")
    points = traitlets.List([]).tag(sync=True)
    boxes = traitlets.List([]).tag(sync=True)
    arrow = traitlets.Any(None, allow_none=True).tag(sync=True)
    tool = traitlets.Unicode("brush").tag(sync=True)
    tools = traitlets.List(list(TOOLS)).tag(sync=True)
    #: What the painted mask means in the current edit mode: "object" (the thing to move, resize or restyle) or
    #: "editable" (the region a drag may change); the page names it in the brush's tooltip. Set by the editor app.
    mask_meaning = traitlets.Enum(["object", "editable"], "object").tag(sync=True)
    brush_size = traitlets.Int(4).tag(sync=True)
    overlay_opacity = traitlets.Float(0.45).tag(sync=True)
    display_width = traitlets.Int(0, help="CSS width in px; 0 scales small images up crisply").tag(sync=True)
    max_points = traitlets.Int(MAX_POINTS, help="most point pairs (the page stops adding more)").tag(sync=True)
    max_boxes = traitlets.Int(MAX_BOXES, help="most boxes (the page stops adding more)").tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    accept_files = traitlets.Bool(True, help="show Open image… and take dropped/pasted image files").tag(sync=True)
    max_upload_bytes = traitlets.Int(MAX_UPLOAD_BYTES).tag(sync=True)
    upload_chunk_bytes = traitlets.Int(CHUNK_BYTES).tag(sync=True)
    #: Whether a new box adds its object to the mask (``box_to_mask``): the page then folds that mask into the box's
    #: undo step, so one Undo removes both. Set by :meth:`set_box_to_mask`; the page cannot change it.
    box_masking = traitlets.Bool(False).tag(sync=True)
    #: Python side only: a warning about the last box's mask (whole box kept, or the object cut by the box), or "".
    box_note = traitlets.Unicode("")

    def __init__(
        self,
        image: Any = None,
        *,
        tools: Sequence[str] | None = None,
        box_to_mask: bool | BoxMasker = False,
        **kwargs: Any,
    ) -> None:
        unknown = set(kwargs) - set(self.class_trait_names())
        if unknown:
            raise TypeError(f"DragCanvas got unexpected keyword arguments: {sorted(unknown)}")
        super().__init__(**kwargs)
        self._array = np.zeros((0, 0, 3), np.uint8)
        self.box_masker: BoxMasker | None = None
        self._uploads = UploadAssembler()
        self._upload_handler: UploadHandler = self._default_upload
        self.on_msg(self._on_custom_msg)
        self.set_box_to_mask(box_to_mask)
        if tools is not None:
            self.tools = list(tools)
        if image is None:
            image = np.full((64, 64, 3), 255, np.uint8)
        self.set_image(image)

    # ------------------------------------------------------------------ image
    def set_image(self, image: Any, *, keep_drawing: bool = True) -> None:
        """Show a new image. Drawing survives when the size is unchanged and ``keep_drawing``."""
        arr = _imaging.to_rgb_array(image, "image")
        h, w = arr.shape[:2]
        same = (w, h) == (self.width, self.height)
        fmt = _imaging.pick_format(arr)
        with self.hold_sync(), self.hold_trait_notifications():
            self._array = arr
            self.image_format = fmt
            self.image_data = _imaging.encode(arr, fmt)
            if not (same and keep_drawing):
                self.width, self.height = w, h
                self.mask_data = bytes(w * h)
                self.region_data = bytes(w * h)
                self.points, self.boxes, self.arrow = [], [], None
                self.brush_size = max(1, round(min(w, h) / 12))
            self.error = ""

    @property
    def image(self) -> Image.Image:
        """The image as a PIL RGB image."""
        return Image.fromarray(self._array)

    @image.setter
    def image(self, value: Any) -> None:
        self.set_image(value)

    @property
    def image_array(self) -> np.ndarray:
        """The image as a uint8 (H, W, 3) array (a copy)."""
        return self._array.copy()

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of the image in pixels."""
        return (self.width, self.height)

    # ------------------------------------------------------------------ masks
    def _layer(self, data: bytes) -> np.ndarray:
        return np.frombuffer(data, np.uint8).reshape(self.height, self.width).astype(bool)

    @property
    def mask(self) -> np.ndarray:
        """The painted mask as a bool array (H, W); set it with a bool / 0..1 / 0..255 array or a PIL mask of the
        image's size exactly (another size is a ``ValueError``: a mask drawn for another image)."""
        return self._layer(self.mask_data)

    @mask.setter
    def mask(self, value: Any) -> None:
        m = _imaging.to_mask_array(value, (self.height, self.width), "mask", exact=True)
        self.mask_data = m.astype(np.uint8).tobytes()

    @property
    def region(self) -> np.ndarray:
        """The optional reference region as a bool array (H, W); all False when not drawn."""
        return self._layer(self.region_data)

    @region.setter
    def region(self, value: Any) -> None:
        m = _imaging.to_mask_array(value, (self.height, self.width), "region", exact=True)
        self.region_data = m.astype(np.uint8).tobytes()

    # --------------------------------------------------------------- helpers
    def add_point(self, handle: Sequence[float], target: Sequence[float]) -> None:
        """Append one handle→target pair (pixels)."""
        self.points = [*self.points, [list(handle), list(target)]]

    def add_box(self, box: Sequence[float]) -> None:
        """Append a box ``(x0, y0, x1, y1)``; with ``box_to_mask`` on, its object joins the mask."""
        self.boxes = [*self.boxes, list(box)]

    def clear(self) -> None:
        """Remove the mask, region, boxes, arrow and points (the image stays)."""
        with self.hold_sync():
            n = self.width * self.height
            self.mask_data = bytes(n)
            self.region_data = bytes(n)
            self.points, self.boxes, self.arrow = [], [], None

    @property
    def offset(self) -> tuple[float, float]:
        """The arrow as an (dx, dy) offset in pixels; (0, 0) without an arrow."""
        if not self.arrow:
            return (0.0, 0.0)
        (x0, y0), (x1, y1) = self.arrow
        return (x1 - x0, y1 - y0)

    def set_box_to_mask(self, box_to_mask: bool | BoxMasker) -> None:
        """Turn automatic box→mask on (``True`` or a callable) or off (``False``)."""
        if box_to_mask is True:
            from .box_mask import box_to_mask as default

            self.box_masker = default
        elif box_to_mask is False or box_to_mask is None:
            self.box_masker = None
        elif callable(box_to_mask):
            self.box_masker = box_to_mask
        else:
            raise TypeError(f"box_to_mask must be a bool or a callable(image, box) -> mask, got {box_to_mask!r}")
        self.box_masking = self.box_masker is not None

    # ------------------------------------------------------------- uploads
    def on_upload(self, handler: UploadHandler | None) -> None:
        """Call ``handler(data, name)`` with each image file the user opens, drops or pastes (``None``: the
        default, which decodes it and shows it with the drawing cleared). Raise ``ValueError`` to refuse a file:
        its message is shown and the current image stays."""
        if handler is not None and not callable(handler):
            raise TypeError(f"handler must be a callable(data: bytes, name: str) or None, got {handler!r}")
        self._upload_handler = handler or self._default_upload

    def _default_upload(self, data: bytes, name: str) -> None:
        self.set_image(decode_image_file(data, name), keep_drawing=False)

    def _on_custom_msg(self, _widget: Any, content: Any, buffers: list | None) -> None:
        if not isinstance(content, dict) or content.get("type") != "upload":
            return
        uid = content.get("id")
        try:
            done = self._uploads.add(content, list(buffers or []))
            if done is None:
                return
            self._upload_handler(done[1], done[0])
        except (ValueError, TypeError, OSError) as exc:  # UploadError is a ValueError; the image stays
            msg = str(exc) or type(exc).__name__
            self.error = msg
            self.send({"type": "upload-result", "id": uid, "ok": False, "message": msg})
            return
        self.send({"type": "upload-result", "id": uid, "ok": True, "message": ""})

    # ------------------------------------------------------------ validation
    def _check_xy(self, p: Any, name: str, pixel: bool = True) -> list[float]:
        """(x, y) of plain numbers inside the image. ``pixel``: a position on a pixel, clamped to the last one
        (x = width → width - 1); otherwise an edge (box corner), 0..width."""
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise traitlets.TraitError(f"{name} must be an (x, y) pair, got {_short(p)}")
        if not all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in p):
            raise traitlets.TraitError(f"{name} must hold numbers, got {_short(p)}")
        try:
            x, y = float(p[0]), float(p[1])
        except (OverflowError, ValueError, TypeError):
            raise traitlets.TraitError(f"{name} must hold finite numbers, got {_short(p)}") from None
        if not (math.isfinite(x) and math.isfinite(y)):
            raise traitlets.TraitError(f"{name} must be finite, got {_short(p)}")
        if not (0 <= x <= self.width and 0 <= y <= self.height):
            raise traitlets.TraitError(f"{name} {_short(p)} lies outside the {self.width}×{self.height} image")
        if pixel:
            x, y = min(x, max(self.width - 1, 0)), min(y, max(self.height - 1, 0))
        return [x, y]

    def _check_list(self, value: Any, name: str, cap: int) -> list:
        if not isinstance(value, (list, tuple)):
            raise traitlets.TraitError(f"{name} must be a list, got {type(value).__name__}")
        if len(value) > cap:  # checked before looking at any item: 200 000 pairs are refused at once
            raise traitlets.TraitError(f"{name} holds {len(value)} items; at most {cap} are allowed")
        return list(value)

    @traitlets.validate("points")
    def _valid_points(self, proposal: dict) -> list:
        out = []
        for i, pair in enumerate(self._check_list(proposal["value"], "points", self.max_points)):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise traitlets.TraitError(f"points[{i}] must be a (handle, target) pair, got {_short(pair)}")
            out.append([self._check_xy(pair[0], f"points[{i}] handle"), self._check_xy(pair[1], f"points[{i}] target")])
        return out

    @traitlets.validate("boxes")
    def _valid_boxes(self, proposal: dict) -> list:
        out = []
        for i, b in enumerate(self._check_list(proposal["value"], "boxes", self.max_boxes)):
            if not isinstance(b, (list, tuple)) or len(b) != 4:
                raise traitlets.TraitError(f"boxes[{i}] must be (x0, y0, x1, y1), got {_short(b)}")
            x0, y0 = self._check_xy(b[:2], f"boxes[{i}] corner", pixel=False)
            x1, y1 = self._check_xy(b[2:], f"boxes[{i}] corner", pixel=False)
            out.append([min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)])
        return out

    @traitlets.validate("arrow")
    def _valid_arrow(self, proposal: dict) -> list | None:
        a = proposal["value"]
        if a is None or (isinstance(a, (list, tuple)) and len(a) == 0):
            return None
        if not isinstance(a, (list, tuple)) or len(a) != 2:
            raise traitlets.TraitError(f"arrow must be ((x0, y0), (x1, y1)) or None, got {_short(a)}")
        return [self._check_xy(a[0], "arrow start"), self._check_xy(a[1], "arrow end")]

    def _valid_layer(self, data: bytes, name: str) -> bytes:
        n = self.width * self.height
        if len(data) != n:
            raise traitlets.TraitError(
                f"{name} must hold {n} bytes ({self.width}×{self.height} image), got {len(data)}"
            )
        arr = np.frombuffer(data, np.uint8)
        return data if arr.max(initial=0) <= 1 else (arr != 0).astype(np.uint8).tobytes()

    @traitlets.validate("mask_data")
    def _valid_mask(self, proposal: dict) -> bytes:
        return self._valid_layer(proposal["value"], "mask")

    @traitlets.validate("region_data")
    def _valid_region(self, proposal: dict) -> bytes:
        return self._valid_layer(proposal["value"], "region")

    @traitlets.validate("tool")
    def _valid_tool(self, proposal: dict) -> str:
        if proposal["value"] not in TOOLS:
            raise traitlets.TraitError(f"tool must be one of {TOOLS}, got {proposal['value']!r}")
        return proposal["value"]

    @traitlets.validate("tools")
    def _valid_tools(self, proposal: dict) -> list:
        bad = [t for t in proposal["value"] if t not in TOOLS]
        if bad:
            raise traitlets.TraitError(f"tools must be drawn from {TOOLS}, got {bad}")
        return list(proposal["value"])

    @traitlets.validate("brush_size")
    def _valid_brush(self, proposal: dict) -> int:
        v = int(proposal["value"])
        top = max(self.width, self.height, 1)
        if not 1 <= v <= top:
            raise traitlets.TraitError(f"brush_size must be between 1 and {top} (the image's longest side), "
                                       f"got {_short(v)}")
        return v

    @traitlets.validate("overlay_opacity")
    def _valid_opacity(self, proposal: dict) -> float:
        v = float(proposal["value"])
        if not 0.0 <= v <= 1.0:
            raise traitlets.TraitError(f"overlay_opacity must be in [0, 1], got {v}")
        return v

    @traitlets.observe("tools")
    def _tool_in_tools(self, change: dict) -> None:
        if change["new"] and self.tool not in change["new"]:
            self.tool = change["new"][0]

    @traitlets.observe("boxes")
    def _box_added(self, change: dict) -> None:
        old, new = change["old"] or [], change["new"] or []
        if self.box_masker is None or len(new) != len(old) + 1 or new[:-1] != old:
            return
        try:
            obj = np.asarray(self.box_masker(self._array.copy(), tuple(new[-1])), dtype=bool)
            if obj.shape != (self.height, self.width):
                raise ValueError(f"box masker returned shape {obj.shape}, expected {(self.height, self.width)}")
        except Exception as exc:  # a broken plug-in must not lose the drawing
            self.error = f"Box → mask failed: {exc}"
            return
        from .box_mask import box_mask_note

        self.box_note = ""  # a repeated note is a new change, so the app shows it again
        self.mask = self.mask | obj
        self.box_note = box_mask_note(self._array, obj, tuple(new[-1])) or ""

    # ---------------------------------------------------------- front end
    def set_state(self, sync_data: dict) -> None:
        """Apply a front-end update; reject malformed ones whole, keep the state, and tell the view."""
        bad = sorted(k for k in sync_data if k not in FRONTEND_WRITABLE)
        kept = {k: getattr(self, k) for k in sync_data if k in FRONTEND_WRITABLE}
        try:
            if bad:
                raise traitlets.TraitError(f"the front end may not set {_short(bad)}")
            for name, cap in (("points", self.max_points), ("boxes", self.max_boxes)):
                # before ipywidgets echoes the update back: a flood is refused without walking it
                if isinstance(sync_data.get(name), (list, tuple)) and len(sync_data[name]) > cap:
                    raise traitlets.TraitError(f"{name} holds {len(sync_data[name])} items; at most {cap} are allowed")
            super().set_state(sync_data)
        except Exception as exc:  # the page is untrusted: nothing it sends may raise into the kernel
            # traitlets rolls back TraitErrors only; after any other error restore the values silently (observers
            # never saw the partial update: notifications were still held), then push them to the page below
            for k, v in kept.items():
                self._trait_values[k] = v
            self.error = f"Ignored an invalid update from the page: {str(exc)[:300]}"
            # Push our (unchanged) values back so the page shows the real state again.
            self.send_state([k for k in sync_data if k in self.keys] + ["error"])
            return
        if self.error.startswith("Ignored an invalid update"):
            self.error = ""


def _short(value: Any, limit: int = 80) -> str:
    """repr() cut to ``limit`` characters (a hostile message may be huge)."""
    text = repr(value) if not isinstance(value, (list, tuple)) or len(value) < 50 else f"<{len(value)} items>"
    return text if len(text) <= limit else text[: limit - 1] + "…"
