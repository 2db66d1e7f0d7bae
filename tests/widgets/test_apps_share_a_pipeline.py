"""Two editor apps on one pipeline (issue 13): run at the same time, each gives the result it gives alone and the
pipeline's attention processors come back unchanged (the engine's per-pipeline lock serialises them)."""

from __future__ import annotations

import threading

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dragon_widgets.widgets import EditorApp  # noqa: E402
from dragon_widgets.widgets._scene import builtin_shape_masks  # noqa: E402


@pytest.fixture(scope="module")
def pipe():
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    return random_embedded_pipeline(0)


def _app(pipe, mode):
    from dragon_widgets.engine import get_preset

    fast = get_preset("embedded").replace(name="test-fast", num_steps=8, guided_until=5, dense_until=2,
                                          time_travel_steps=(), sde_window=(2, 4), ip_window=(2, 4), preview_every=2)
    a = EditorApp(pipe=pipe, preset=fast)
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    a.mode = mode
    if mode == "drag":
        a.canvas.add_point((20, 20), (26, 22))
    return a


@pytest.mark.slow  # two apps, each a real run, then the same runs alone
def test_two_apps_on_one_pipeline_edit_at_the_same_time_as_they_do_alone(pipe):
    before = dict(pipe.unet.attn_processors)
    alone = {mode: np.asarray(_app(pipe, mode).run().image) for mode in ("move", "drag")}
    apps = {mode: _app(pipe, mode) for mode in ("move", "drag")}
    results: dict = {}
    threads = [threading.Thread(target=lambda m=m: results.update({m: apps[m].run()})) for m in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join(600)
    for mode, app in apps.items():
        assert results[mode] is not None, app.status_text
        assert np.array_equal(np.asarray(results[mode].image), alone[mode]), mode
    after = dict(pipe.unet.attn_processors)
    assert all(after[k] is before[k] for k in before)
