"""Run a long job off the kernel's main thread so widget events (Cancel!) keep being processed.

While a cell or a widget callback runs, the kernel does not read comm messages, so a Cancel click
would only arrive after the edit finished. The Run button therefore starts the engine in a worker
thread and returns at once: the kernel goes idle and handles Cancel (``editor.cancel()`` is
thread-safe). The worker never touches widgets itself: every UI update is handed to the event loop
that delivered the click (``call_soon_threadsafe``), which sidesteps the ipykernel 7 problems with
widget messages sent from other threads. Outside a running kernel loop
(plain Python, tests, ``wait=True``) the job runs synchronously and updates are applied in place.
"""

from __future__ import annotations

import asyncio
import threading
import traceback
from typing import Any, Callable


def _main_loop() -> Any | None:
    """The asyncio loop running the current widget callback inside a kernel, or None.

    That is the kernel's main thread loop, or, with ipykernel 7 subshells (JupyterLab 4.4+ may send
    widget messages to one), the subshell's own loop: posting UI updates to whichever loop delivered
    the click keeps every widget message on the thread ipykernel expects.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with ipykernel
        return None
    ip = get_ipython()
    if getattr(ip, "kernel", None) is None:
        return None
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Job:
    """One background run: ``post(fn, *args)`` schedules a UI update on the loop that started it."""

    def __init__(self, loop: Any | None) -> None:
        self._loop = loop
        self.thread: threading.Thread | None = None
        self.done = threading.Event()

    @property
    def threaded(self) -> bool:
        return self._loop is not None

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Run ``fn(*args)`` on that loop's thread (at once, when not threaded)."""
        if self._loop is None:
            fn(*args)
        else:
            self._loop.call_soon_threadsafe(fn, *args)


def start(work: Callable[[Job], Any], finish: Callable[[Any, BaseException | None], None], *, wait: bool) -> Job:
    """Run ``work(job)``; then ``finish(result, error)`` on the calling loop's thread.

    With ``wait=False`` inside a kernel, ``work`` runs in a daemon thread and this returns at once.
    """
    loop = None if wait else _main_loop()
    job = Job(loop)

    def body() -> None:
        result, error = None, None
        try:
            result = work(job)
        except BaseException as exc:  # reported in the app, never raised into the kernel
            error = exc
            # drop the failed frames' locals (e.g. a guidance pass's autograd graph after an out-of-memory), so a
            # retry gets that memory back; the traceback's file/line information is kept for the details view
            traceback.clear_frames(exc.__traceback__)
        job.post(finish, result, error)
        job.done.set()

    if job.threaded:
        job.thread = threading.Thread(target=body, name="dragon-widgets-edit", daemon=True)
        job.thread.start()
    else:
        body()
    return job
