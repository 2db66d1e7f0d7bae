"""Inversions kept for reuse: editing the same image again never inverts it again.

An inversion depends on the image, the prompt, the model's weights, where and in which dtype the model runs, and
a few numbers of the preset (:data:`INVERSION_FIELDS`: the working size, the steps, the refinement, the bank's
layers, dtype and device) — not on the edit modes' parameters. :class:`InversionCache` maps exactly that
(:func:`inversion_key`) to the :class:`~.editor.Source`, least recently used first out, within a byte budget
counted on the memory banks (at least the newest inversion is always kept, however large: it is the one being
edited). The editors of one pipeline share one (``editor.inversions``, :func:`cache_for`: the app's editor and
a notebook's on the same pipeline reuse each other's inversions); ``editor.invert`` consults it, and so do the reference
images that Appearance and Paste invert, the editor app (Undo, reloading an image, switching modes, inverting
ahead of Run) and ``dw.replay`` with an editor. A source from the cache shares its memory bank with the cached one: the engine only reads banks.

The cache drops an entry made by other weights as soon as it is asked with the new fingerprint (the model
changed), and a changed preset is a different key.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .sharing import shared_per_unet

#: The preset fields an inversion depends on. Every other field (the edit schedule, the modes, previews, ...) is
#: listed in :data:`EDIT_ONLY_FIELDS`; a test keeps the two lists covering :class:`~.presets.Preset`.
INVERSION_FIELDS = ("resolution", "multiple", "num_steps", "inversion_refine", "inversion_tol",
                    "inversion_accelerate", "bank_layers", "bank_dtype", "bank_device")
EDIT_ONLY_FIELDS = ("name", "schedule", "guided_until", "dense_until", "time_travel_steps", "time_travel_rounds",
                    "sde_window", "ip_window", "feature_layers", "feature_upscale", "attract_beta", "drag_window",
                    "preview_every", "generate_guidance_scale", "modes")
#: Default budget: memory banks up to this many bytes (the embedded model's bank is 46 MiB; SD-1.5's at 768² in
#: float16 3.1 GB, so for SD the cache holds the image being edited).
DEFAULT_MAX_BYTES = 1 << 30
#: Default number of inversions kept.
DEFAULT_MAX_ENTRIES = 16


@dataclass(frozen=True)
class InversionKey:
    image: str  # digest of the input array (its shape and pixels)
    prompt: str
    preset: tuple  # the INVERSION_FIELDS values
    model: str  # the UNet's weights fingerprint
    device: str
    dtype: str


def image_digest(arr: np.ndarray) -> str:
    """A digest of a uint8 image array: its shape and its pixels."""
    h = hashlib.blake2b(digest_size=16)
    h.update(repr(arr.shape).encode())
    h.update(np.ascontiguousarray(arr).data)
    return h.hexdigest()


def inversion_key(arr: np.ndarray, prompt: str, preset, fingerprint: str, device, dtype) -> InversionKey:
    return InversionKey(image=image_digest(arr), prompt=prompt,
                        preset=tuple((f, getattr(preset, f)) for f in INVERSION_FIELDS), model=fingerprint,
                        device=str(device), dtype=str(dtype))


def source_nbytes(source) -> int:
    bank = getattr(source, "bank", None)
    return bank.nbytes if bank is not None else 0


class InversionCache:
    """A bounded map from :class:`InversionKey` to a :class:`~.editor.Source` (see module docstring).

    ``max_bytes``: budget for the memory banks held (the newest entry is kept even above it); ``max_entries``:
    most inversions held; ``max_entries=0`` turns the cache off. Thread-safe.
    """

    def __init__(self, max_bytes: int = DEFAULT_MAX_BYTES, max_entries: int = DEFAULT_MAX_ENTRIES):
        for name, v in (("max_bytes", max_bytes), ("max_entries", max_entries)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise ValueError(f"{name} must be a whole number ≥ 0, got {v!r}")
        self.max_bytes, self.max_entries = max_bytes, max_entries
        self._items: OrderedDict[InversionKey, object] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: InversionKey) -> bool:
        return key in self._items

    @property
    def nbytes(self) -> int:
        """Bytes of the memory banks held."""
        return sum(source_nbytes(s) for s in self._items.values())

    def get(self, key: InversionKey):
        """The cached source for ``key`` (now the most recently used), or None. Entries of other weights than
        ``key.model`` are dropped: the model changed."""
        with self._lock:
            stale = [k for k in self._items if k.model != key.model]
            for k in stale:
                del self._items[k]
            src = self._items.get(key)
            if src is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return src

    def put(self, key: InversionKey, source) -> None:
        """Keep ``source`` under ``key``, dropping the least recently used entries beyond the budget."""
        if self.max_entries == 0:
            return
        with self._lock:
            self._items[key] = source
            self._items.move_to_end(key)
            self._trim()

    def _trim(self) -> None:
        while len(self._items) > self.max_entries:
            self._items.popitem(last=False)
        while len(self._items) > 1 and sum(source_nbytes(s) for s in self._items.values()) > self.max_bytes:
            self._items.popitem(last=False)

    def clear(self) -> None:
        """Forget every inversion (e.g. after changing the model's weights in place)."""
        with self._lock:
            self._items.clear()

    def __repr__(self) -> str:
        return (f"InversionCache({len(self)} inversions, {self.nbytes / 2**20:.1f} MiB of "
                f"{self.max_bytes / 2**20:.0f} MiB, {self.hits} hits, {self.misses} misses)")


_CACHES: "weakref.WeakKeyDictionary[object, InversionCache]" = weakref.WeakKeyDictionary()


def cache_for(unet) -> InversionCache:
    """The inversion cache every editor on ``unet``'s pipeline shares (created on first use, dropped with the UNet)."""
    return shared_per_unet(_CACHES, unet, InversionCache)
