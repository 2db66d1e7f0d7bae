"""EditorApp driven from Python with the real engine on a tiny random-weight pipeline (fast preset)."""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from dragon_widgets.engine.result_check_text import invented_count  # noqa: E402
from dragon_widgets.widgets import EditorApp  # noqa: E402
from dragon_widgets.widgets._scene import builtin_shape_masks  # noqa: E402


@pytest.fixture(scope="module")
def fast():
    """The embedded preset with few steps: the same code paths, a fraction of the time."""
    from dragon_widgets.engine import get_preset

    return get_preset("embedded").replace(name="test-fast", num_steps=8, guided_until=5, dense_until=2,
                                          time_travel_steps=(), sde_window=(2, 4), ip_window=(2, 4), preview_every=2)


@pytest.fixture
def app(pipe, fast, tmp_path):
    a = EditorApp(pipe=pipe, preset=fast, export_dir=tmp_path / "exports")
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    a.reference_canvas.mask = builtin_shape_masks(reference=True)[0]
    return a


def test_no_argument_app_opens_the_builtin_scene_without_loading_a_model():
    a = EditorApp()
    assert a.canvas.size == (64, 64) and a._editor is None
    assert "background" in a.params.prompt.value  # the scene's caption
    assert a.params.base_preset.name == "embedded"
    assert a.mode == "move" and a.canvas.tools == ["box", "brush", "eraser", "arrow", "region"]
    assert a.reference_box.layout.display == "none"
    a.mode = "paste"
    assert a.reference_box.layout.display == "" and a.canvas.tools == ["arrow"]
    with pytest.raises(ValueError, match="mode must be one of"):
        a.mode = "warp"


def test_the_mode_selector_lists_every_ui_mode_descriptor():
    from dragon_widgets.engine.ui_modes import UI_MODES

    a = EditorApp()
    assert [v for _, v in a.mode_selector.options] == [d.name for d in UI_MODES]
    assert "landmark" in [v for _, v in a.mode_selector.options]
    a.mode = "landmark"
    assert a.canvas.tools == ["points"] and a.params.preset_mode == "landmark"


def test_advanced_fields_are_the_modes_own_parameters():
    a = EditorApp()
    shown = lambda: {k for k, w in a.params.advanced_fields.items() if w.layout.display != "none"}  # noqa: E731
    assert {"w_contrast", "w_inpaint"} <= shown()
    a.mode = "drag"
    assert "w_contrast" in shown() and "w_inpaint" not in shown()  # drag's contrast weight is called so
    assert a.params.advanced_fields["w_contrast"].value == a.params.base_preset.mode("drag").w_contrast
    a.mode = "landmark"
    assert "w_content" not in shown()
    with pytest.raises(ValueError, match="unknown parameters"):
        a.params.set_advanced(w_content=1)


# move in the fast tier; the other modes run through the app in the slow one (the engine's battery runs them all)
@pytest.mark.parametrize("mode", ["move", *(pytest.param(m, marks=pytest.mark.slow)
                                           for m in ("resize", "drag", "landmark", "appearance", "paste"))])
def test_every_mode_runs_and_exports(app, mode):
    app.mode = mode
    if mode in ("drag", "landmark"):
        app.canvas.add_point((20, 20), (26, 22))
    before = app.canvas.image_array
    res = app.run()
    assert res is not None, app.status_text
    assert app.status_text.startswith("Done"), app.status_text
    assert res.image.size == (64, 64)
    assert not np.array_equal(np.asarray(res.image), before)
    # green when the result check found nothing outside the edit, amber (and said in words) when it did
    invented = invented_count(res.metrics)
    assert app.progress.value == app.progress.max
    assert app.progress.bar_style == ("warning" if invented else "success")
    assert ("outside the edit changed strongly" in app.status_text) == bool(invented)
    assert app.preview.value[:4] == b"\x89PNG"
    assert app.compare.after_data and len(app.history) == 1
    folder = app.export()
    log = json.loads((folder / "edit.json").read_text())
    assert (folder / "result.png").exists() and log["edit"]["kind"] in (mode if mode != "resize" else "move",)
    app.mode = "move"
    assert app.canvas.mask.any() and app.canvas.arrow  # the drawing is still there (Move's, where it was drawn)


def test_incomplete_input_is_explained_and_nothing_is_lost(app):
    app.canvas.mask = np.zeros((64, 64), bool)
    pts_before = app.canvas.points
    assert app.run() is None
    assert app.status_text == "Draw the object first: box it or paint it with the brush."
    app.mode = "drag"
    assert app.run() is None and "point pair" in app.status_text
    assert app.canvas.arrow is None and app.canvas.points == pts_before  # Drag has no arrow tool: put aside
    app.mode = "move"
    assert app.canvas.arrow == [[20.0, 20.0], [28.0, 24.0]]  # and back with Move


def test_engine_validation_error_in_plain_words(app):
    app.mode = "paste"
    app.params.dx.value = 64  # the pasted object would land outside the image
    assert app.run() is None
    assert app.status_text.startswith("Cannot run this edit:")
    assert app.reference_canvas.mask.any() and app.run_button.disabled is False


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_cancel_click_during_a_run_stops_it_and_app_stays_usable(app):
    app.mode = "move"
    clicks = []
    original = app._on_progress

    def progress_then_click(phase, step, total, png):
        original(phase, step, total, png)
        if phase == "Editing" and step == 3 and not clicks:
            clicks.append(step)
            app.cancel_button.click()  # what the page's Cancel does

    app._on_progress = progress_then_click
    assert app.run() is None
    assert clicks and app.status_text.startswith("Cancelled")
    assert app.progress.bar_style == "warning" and app.progress.value < app.progress.max
    assert app.canvas.mask.any() and app.canvas.arrow and not app.history
    assert app.run_button.disabled is False and app.cancel_button.disabled is True
    assert app.run() is not None and app.status_text.startswith("Done")


def test_out_of_memory_and_missing_model_are_reported(app, monkeypatch):
    ed = app.editor

    def oom(*_a, **_k):
        raise RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(ed, "edit", oom)
    assert app.run() is None and app.status_text.startswith("Out of memory")
    assert app.canvas.mask.any()

    def cpu_oom(*_a, **_k):  # PyTorch's CPU allocator says it differently
        raise RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 68719476736 bytes.")

    monkeypatch.setattr(ed, "edit", cpu_oom)
    assert app.run() is None and app.status_text.startswith("Out of memory")

    from dragon_widgets.engine import ModelNotAvailableError

    def missing():
        raise ModelNotAvailableError("the embedded model's weights are missing")

    monkeypatch.setattr("dragon_widgets.engine.load_pipeline", missing)
    a = EditorApp()
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    assert a.run() is None and a.status_text.startswith("The model is not available")
    assert a.canvas.mask.any()


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_advanced_parameters_reach_the_engine_without_changing_the_editor(app, fast, monkeypatch, tmp_path):
    from dragon_widgets.engine import replay
    from dragon_widgets.engine.sampler import GuidedSampler

    editor = app.editor
    before = editor.preset
    seen = []
    run = GuidedSampler.run
    monkeypatch.setattr(GuidedSampler, "run", lambda self, z: seen.append((self.preset, self.params)) or run(self, z))
    app.params.set_advanced(w_edit=7.5)
    assert app.params.preset_for("move").mode("move").w_edit == 7.5
    assert app.run() is not None
    # the editor is not mutated: same object, same preset object, the base value untouched
    assert app.editor is editor and editor.preset is before and editor.preset == fast
    assert editor.preset.mode("move").w_edit == fast.mode("move").w_edit != 7.5
    # ... and the value reached the sampler and the result (whose log replays it)
    (preset, params), = seen
    assert params.w_edit == 7.5 and preset.mode("move").w_edit == 7.5 and preset.name == fast.name
    assert app.result.preset.mode("move").w_edit == 7.5
    again = replay(app.export(tmp_path / "log"), editor=editor)
    assert again.preset == app.result.preset and editor.preset is before
    assert np.array_equal(np.asarray(again.image), np.asarray(app.result.image))
    with pytest.raises(ValueError, match="unknown parameters"):
        app.params.set_advanced(warp=1)


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_history_use_result_and_undo(app):
    first_input = app.canvas.image_array
    assert app.run() is not None
    app.use_result_as_input()
    assert np.array_equal(app.canvas.image_array, np.asarray(app.result.image))
    assert not app.canvas.mask.any()  # the old drawing described the old image
    app.canvas.mask = builtin_shape_masks()[0]
    app.canvas.arrow = [[30, 30], [34, 30]]
    assert app.run() is not None and len(app.history) == 2
    app.undo_edit()
    app.undo_edit()
    assert not app.history and app.result is None
    assert np.array_equal(app.canvas.image_array, first_input)


def test_background_run_keeps_the_kernel_loop_free_and_cancel_works(app, monkeypatch):
    """The Run button path: a worker thread + UI updates posted to the kernel's event loop."""
    import asyncio

    from dragon_widgets.widgets import _runner

    async def scenario():
        loop = asyncio.get_running_loop()  # what a kernel's widget callback runs inside
        monkeypatch.setattr(_runner, "_main_loop", lambda: loop)
        app.run_button.click()
        assert app.running and app.cancel_button.disabled is False
        ticks = 0
        while app.progress.value < 2 and app.running:  # the loop keeps turning while the engine works
            await asyncio.sleep(0.01)
            ticks += 1
        app.cancel_button.click()
        while app.running or app.run_button.disabled:
            await asyncio.sleep(0.01)
        return ticks

    # a fresh thread owns the event loop: earlier tests (e.g. Playwright's sync API) may leave one running here
    import threading

    out: dict = {}

    def drive() -> None:
        try:
            out["ticks"] = asyncio.run(scenario())
        except BaseException as err:  # re-raised below, in the test's thread
            out["error"] = err

    th = threading.Thread(target=drive)
    th.start()
    th.join(600)
    if "error" in out:
        raise out["error"]
    ticks = out["ticks"]
    assert ticks > 0
    assert app.status_text.startswith("Cancelled"), app.status_text
    assert app.canvas.mask.any() and app.run_button.disabled is False


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_history_keeps_older_results_without_their_memory_banks(app, tmp_path):
    assert app.run() is not None
    first = app.result
    assert first.source.bank is not None
    app.use_result_as_input()
    app.canvas.mask = builtin_shape_masks()[0]
    app.canvas.arrow = [[30, 30], [34, 30]]
    assert app.run() is not None
    older, latest = (h["result"] for h in app.history)
    assert older.source.bank is None and latest.source.bank is not None  # banks are GBs with SD
    assert first.source.bank is not None  # the caller's own result object is not changed
    app.undo_edit()
    assert app.result is older and (app.export(tmp_path / "e") / "edit.json").exists()  # undo + export still work


def test_a_failed_run_releases_its_frames_locals():
    import gc
    import weakref

    from dragon_widgets.widgets import _runner

    class Big:
        pass

    refs, errors = [], []

    def work(job):
        graph = Big()  # stands for a guidance pass's autograd graph
        refs.append(weakref.ref(graph))
        raise RuntimeError("CUDA out of memory")

    _runner.start(work, lambda result, error: errors.append(error), wait=True)
    gc.collect()
    assert isinstance(errors[0], RuntimeError) and refs[0]() is None


def _all_widgets(w):
    yield w
    for c in getattr(w, "children", ()) or ():
        yield from _all_widgets(c)


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_no_output_widget_and_unexpected_errors_as_escaped_html(app, monkeypatch):
    import ipywidgets

    # ipywidgets 7.8.5 in classic Notebook cannot display any Output: the app must hold none
    assert not [w for w in _all_widgets(app) if isinstance(w, ipywidgets.Output)]
    assert app.details in list(_all_widgets(app)) and app.details.value == ""

    def broken(*_a, **_k):
        raise KeyError("<bank> missing")

    monkeypatch.setattr(app.editor, "edit", broken)
    assert app.run() is None and app.status_text.startswith("Unexpected error (KeyError)")
    assert "Traceback" in app.details.value and "&lt;bank&gt; missing" in app.details.value
    assert "<bank>" not in app.details.value
    monkeypatch.undo()
    assert app.run() is not None and app.details.value == ""  # a good run clears the old traceback
