"""Binary trait helpers: bytes that survive the ``memoryview`` a front-end update delivers."""

from __future__ import annotations

from typing import Any

import traitlets


def bytes_from_json(value: Any, _widget: Any = None) -> bytes:
    """Turn a front-end binary value (memoryview, bytearray, bytes, None) into ``bytes``.

    ipywidgets hands buffers to Python as ``memoryview``; ``traitlets.Bytes`` rejects those and the
    *whole* update (every trait in it) is then dropped silently. This converter avoids that.
    """
    if value is None:
        return b""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise traitlets.TraitError(f"expected binary data from the front end, got {type(value).__name__}")


def BinaryTrait(**kwargs: Any) -> traitlets.Bytes:  # noqa: N802 - a trait factory reads like a class
    """A synced ``Bytes`` trait tagged with :func:`bytes_from_json`."""
    return traitlets.Bytes(b"", **kwargs).tag(sync=True, from_json=bytes_from_json)
