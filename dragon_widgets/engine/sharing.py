"""One pipeline, many editors: edits on a shared UNet run one at a time.

An editor changes its pipeline's UNet while it runs (bank attention processors, forward hooks for the guidance
features, image-prompt scales). Two editors on one pipeline — an ``EditorApp(pipe=pipe)`` and an edit from
another cell, two apps, an inspection panel — would interleave those changes. :func:`hold` serialises them: a
lock per UNet, kept in a weak dictionary (no attribute is hung on the module; the lock goes with the UNet).
A thread that already holds the UNet (e.g. an ``on_step`` callback starting another editor's run on the same
pipeline) gets a ``RuntimeError`` instead of waiting for itself forever.
"""

from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager

#: How often a waiting run looks at its cancel flag (seconds).
POLL_S = 0.02


class PipelineSlot:
    """The lock of one UNet and the thread holding it."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.owner: int | None = None

    def acquire(self, timeout: float = -1) -> bool:
        if self.owner == threading.get_ident():
            raise RuntimeError("this thread is already running an edit on this pipeline (another editor's run "
                               "started from inside an edit, e.g. in on_step?); start it after that edit returns")
        if not self.lock.acquire(timeout=timeout):
            return False
        self.owner = threading.get_ident()
        return True

    def release(self) -> None:
        self.owner = None
        self.lock.release()

    def locked(self) -> bool:
        return self.lock.locked()

    def __enter__(self) -> "PipelineSlot":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


_SLOTS: "weakref.WeakKeyDictionary[object, PipelineSlot]" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()


def shared_per_unet(registry: "weakref.WeakKeyDictionary", unet, make):
    """``registry[unet]``, made with ``make()`` on first use: one object every editor on ``unet`` shares, dropped
    with the UNet."""
    with _GUARD:
        item = registry.get(unet)
        if item is None:
            item = registry[unet] = make()
        return item


def pipeline_lock(unet) -> PipelineSlot:
    """The slot every editor on ``unet`` shares (created on first use, dropped with the UNet)."""
    return shared_per_unet(_SLOTS, unet, PipelineSlot)


def hold(unet, cancel: threading.Event, cancelled: type[Exception]) -> PipelineSlot:
    """Wait until no other editor runs on ``unet``, take it and return the slot to ``release()`` when done.

    While waiting, a set ``cancel`` event raises ``cancelled`` (``editor.cancel()`` works on a queued run too).
    """
    slot = pipeline_lock(unet)
    while not slot.acquire(timeout=POLL_S):
        if cancel.is_set():
            raise cancelled("cancelled while waiting for another editor on the same pipeline")
    return slot


@contextmanager
def using(unet):
    """Run a block with ``unet`` to itself (blocking), for code outside an editor that hooks or runs the UNet (the
    inspection panels' feature extractor)."""
    with pipeline_lock(unet):
        yield unet
