"""One pipeline, many editors: edits on a shared UNet run one at a time.

An editor changes its pipeline's UNet while it runs (bank attention processors, forward hooks for the guidance
features, image-prompt scales). Two editors on one pipeline — an ``EditorApp(pipe=pipe)`` and an edit from
another cell, two apps, an inspection panel — would interleave those changes. :func:`hold` serialises them: a
lock per UNet, kept in a weak dictionary (no attribute is hung on the module; the lock goes with the UNet).
"""

from __future__ import annotations

import threading
import weakref

_LOCKS: "weakref.WeakKeyDictionary[object, threading.Lock]" = weakref.WeakKeyDictionary()
_GUARD = threading.Lock()
#: How often a waiting run looks at its cancel flag (seconds).
POLL_S = 0.02


def pipeline_lock(unet) -> threading.Lock:
    """The lock every editor on ``unet`` shares (created on first use, dropped with the UNet)."""
    with _GUARD:
        lock = _LOCKS.get(unet)
        if lock is None:
            lock = _LOCKS[unet] = threading.Lock()
        return lock


def hold(unet, cancel: threading.Event, cancelled: type[Exception]) -> threading.Lock:
    """Wait until no other editor runs on ``unet``, take it and return the lock to release when done.

    While waiting, a set ``cancel`` event raises ``cancelled`` (``editor.cancel()`` works on a queued run too).
    """
    lock = pipeline_lock(unet)
    while not lock.acquire(timeout=POLL_S):
        if cancel.is_set():
            raise cancelled("cancelled while waiting for another editor on the same pipeline")
    return lock
