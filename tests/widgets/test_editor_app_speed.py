"""The editor app never inverts an image twice: load + Undo and a repeated Run reuse the editor's inversion
cache, and inside a kernel a loaded image is inverted in the worker thread before Run is pressed."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pytest

from dragon_widgets.widgets import EditorApp, _runner
from dragon_widgets.widgets._scene import builtin_shape_masks

torch = pytest.importorskip("torch")


def _photo(w: int = 64, h: int = 64) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 5 % 256, yy * 6 % 256, (xx + yy) % 256], -1).astype(np.uint8)


@pytest.fixture
def app(pipe, fast):
    a = EditorApp(pipe=pipe, preset=fast)
    a.editor.inversions.clear()  # the cache belongs to the module's pipeline: start without earlier inversions
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    return a


@pytest.fixture
def kernel_loop(monkeypatch):
    """An event loop in its own thread standing in for the kernel's: the app's jobs run in worker threads."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    monkeypatch.setattr(_runner, "_main_loop", lambda: loop)
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def _draw(app: EditorApp) -> None:
    h, w = app.canvas.image_array.shape[:2]
    mask = np.zeros((h, w), bool)
    mask[h // 4:h // 2, w // 4:w // 2] = True
    app.canvas.mask = mask
    app.canvas.arrow = [[w * 3 // 8, h * 3 // 8], [w // 2, h // 2]]


def _has_inversion(app: EditorApp) -> bool:
    return app.editor.has_inversion(app.canvas.image_array, app.params.prompt.value,
                                    preset=app.params.preset_for(app.mode))


@pytest.mark.slow  # end to end through the app: real runs of the engine
def test_load_and_undo_keep_the_inversion(app):
    first = app.canvas.image_array
    assert app.run() is not None, app.status_text
    assert "inversion reused" not in app.status_text
    app.load_image(_photo())
    assert app._pre_job is None  # outside a kernel nothing runs in the background
    app.undo_edit()  # back to the first image, its drawing and result
    assert np.array_equal(app.canvas.image_array, first) and _has_inversion(app)
    assert app.run() is not None, app.status_text
    assert "inversion reused" in app.status_text


@pytest.mark.slow  # end to end through the app: real runs of the engine
def test_a_loaded_image_is_inverted_before_run(app, kernel_loop):
    app.load_image(_photo(48, 48))
    app.load_image(_photo())  # a newer image: the first one's inversion stops (or ends), this one follows
    job = app._pre_job
    assert job is not None and job.done.wait(300)
    assert _has_inversion(app)
    _draw(app)
    assert app.run(wait=True) is not None, app.status_text
    assert "inversion reused" in app.status_text  # Run went straight to editing


def test_pre_invert_off_or_outside_a_kernel_starts_nothing(pipe, fast, kernel_loop):
    a = EditorApp(pipe=pipe, preset=fast, pre_invert=False)
    a.load_image(_photo())
    assert a._pre_job is None
