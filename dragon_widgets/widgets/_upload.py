"""Image files sent from the page: chunked binary messages put back together, size-limited, then decoded.

The page sends a file as custom messages ``{"type": "upload", "id", "index", "count", "name", "size"}``, each with
one binary buffer (a chunk of at most :data:`CHUNK_BYTES`): Jupyter's websocket drops the connection on a message
above 10 MiB, so a file is never sent in one piece, and never as base64.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from ..core import images as _core

#: Largest image file the page may send (bytes).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
#: Size of one binary chunk the page sends (bytes); well under Jupyter's 10 MiB websocket message limit.
CHUNK_BYTES = 2 * 1024 * 1024


class UploadError(ValueError):
    """An upload that cannot become an image; the message says why in plain words."""


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MB"


def too_big_message(name: str, size: int, limit: int = MAX_UPLOAD_BYTES) -> str:
    return f"{name} is {_mb(size)}; images up to {_mb(limit)} can be loaded (save a smaller JPEG or PNG first)."


def decode_image_file(data: bytes, name: str = "the file") -> np.ndarray:
    """Bytes of an image file (PNG, JPEG, WebP, GIF, BMP, TIFF …) → uint8 (H, W, 3) by the one normaliser
    (:func:`dragon_widgets.core.images.open_image`: EXIF orientation, alpha over white, 16-bit, huge images
    reduced while decoding). :class:`UploadError` naming the file otherwise."""
    if not data:
        raise UploadError(f"{name} is empty.")
    try:
        return _core.open_image(bytes(data), name)
    except (ValueError, TypeError, OSError) as exc:  # not an image, truncated, too small, odd values
        raise UploadError(str(exc) or f"{name} could not be read as an image.") from None


@dataclass
class _Pending:
    name: str
    size: int
    count: int
    parts: dict[int, bytes] = field(default_factory=dict)


class UploadAssembler:
    """Collects the chunks of each upload id; :meth:`add` returns ``(name, data)`` once a file is complete."""

    def __init__(self, limit: int = MAX_UPLOAD_BYTES) -> None:
        self.limit = limit
        self._pending: dict[str, _Pending] = {}

    def add(self, content: dict, buffers: list[Any]) -> tuple[str, bytes] | None:
        """Take one ``upload`` message; :class:`UploadError` for a malformed, oversized or inconsistent one."""
        try:
            uid, index, count = str(content["id"]), int(content["index"]), int(content["count"])
            name, size = str(content.get("name") or "the file"), int(content["size"])
        except (KeyError, TypeError, ValueError):
            raise UploadError("The page sent a malformed upload message.") from None
        if size > self.limit:
            self._pending.pop(uid, None)
            raise UploadError(too_big_message(name, size, self.limit))
        if len(buffers) != 1 or not 0 <= index < count or count > max(1, size):
            self._pending.pop(uid, None)
            raise UploadError(f"The upload of {name} arrived damaged; try again.")
        job = self._pending.setdefault(uid, _Pending(name, size, count))
        if (job.size, job.count) != (size, count):
            self._pending.pop(uid, None)
            raise UploadError(f"The upload of {name} arrived damaged; try again.")
        job.parts[index] = bytes(buffers[0])
        if sum(map(len, job.parts.values())) > self.limit:
            self._pending.pop(uid, None)
            raise UploadError(too_big_message(name, size, self.limit))
        if len(job.parts) < count:
            return None
        del self._pending[uid]
        data = b"".join(job.parts[i] for i in range(count))
        if len(data) != size:
            raise UploadError(f"The upload of {name} is incomplete ({len(data)} of {size} bytes); try again.")
        return name, data
