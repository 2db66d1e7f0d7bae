"""EditorApp with your own image (load_image, a file dropped on the canvas), per-mode drawings, and the status,
progress and preview of a run (this run's times, the reference's inversion, Cancel)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.widgets import EditorApp
from dragon_widgets.widgets._scene import builtin_shape_masks

from widget_fakes import RecordingComm, attach, custom_sent, front_end_custom


def _photo(w: int = 48, h: int = 40) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 5 % 256, yy * 6 % 256, (xx + yy) % 256], -1).astype(np.uint8)


def _file(arr: np.ndarray, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


def _drawn_app() -> EditorApp:
    a = EditorApp()
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    return a


@pytest.mark.parametrize("kind", ["array", "pil", "path", "bytes"])
def test_load_image_from_array_pil_path_or_bytes(kind, tmp_path):
    a = _drawn_app()
    arr = _photo()
    if kind == "array":
        src = arr
    elif kind == "pil":
        src = Image.fromarray(arr).convert("RGBA")  # alpha is composited by the normaliser
    else:
        (tmp_path / "mine.png").write_bytes(_file(arr))
        src = tmp_path / "mine.png" if kind == "path" else (tmp_path / "mine.png").read_bytes()
    a.load_image(src)
    assert np.array_equal(a.canvas.image_array, arr)
    assert a.canvas.size == (48, 40) and not a.canvas.mask.any() and a.canvas.arrow is None
    assert a.params.dx.max == 48 and a.params.dy.max == 40  # the offsets span the new image
    assert a.result is None and a.compare.width == 48 and not a.compare.after_data
    assert a.canvas.display_width == 480  # 40 px tall → ×12 ... wide side 48 → ×10, within 512
    assert a.status_text.startswith("Loaded") and "48×40" in a.status_text
    assert a.undo_edit_button.disabled is False


def test_undo_brings_back_the_previous_image_and_its_drawings():
    a = _drawn_app()
    first, mask = a.canvas.image_array, a.canvas.mask
    a.load_image(_photo(), prompt="a gradient")
    assert a.params.prompt.value == "a gradient"
    a.undo_edit()
    assert np.array_equal(a.canvas.image_array, first) and np.array_equal(a.canvas.mask, mask)
    assert a.canvas.arrow == [[20.0, 20.0], [28.0, 24.0]] and "background" in a.params.prompt.value
    assert a.canvas.size == (64, 64) and a.params.dx.max == 64
    assert a.undo_edit_button.disabled is True


def test_big_images_are_scaled_down_and_bad_input_changes_nothing(tmp_path):
    from dragon_widgets.widgets.app import LOAD_MAX_SIDE

    a = _drawn_app()
    before = a.canvas.image_array
    a.load_image(np.zeros((LOAD_MAX_SIDE + 100, 100, 3), np.uint8))
    assert max(a.canvas.size) == LOAD_MAX_SIDE and "scaled down" in a.status_text
    a.undo_edit()
    with pytest.raises(FileNotFoundError, match="no such file"):
        a.load_image(tmp_path / "missing.png")
    with pytest.raises(ValueError, match="not an image"):
        a.load_image(b"%PDF-1.4 definitely not an image")
    with pytest.raises(TypeError, match="numpy array, a PIL image, a file path"):
        a.load_image(42)
    with pytest.raises(ValueError, match="too small"):
        a.load_image(np.zeros((3, 3, 3), np.uint8))
    assert np.array_equal(a.canvas.image_array, before) and a.canvas.mask.any()
    assert a.undo_edit_button.disabled is True  # failed loads leave no undo step


def test_a_file_dropped_on_the_app_canvas_loads_with_an_undo_step_and_errors_go_to_the_status():
    a = _drawn_app()
    comm = attach(a.canvas, RecordingComm())
    data = _file(_photo(), "JPEG")
    front_end_custom(a.canvas, {"type": "upload", "id": "x", "index": 0, "count": 1, "name": "cat.jpg",
                                "size": len(data)}, [data])
    assert a.canvas.size == (48, 40) and "cat.jpg" in a.status_text
    assert custom_sent(comm)[-1]["ok"] is True
    front_end_custom(a.canvas, {"type": "upload", "id": "y", "index": 0, "count": 1, "name": "notes.txt",
                                "size": 5}, [b"hello"])
    assert a.canvas.size == (48, 40)  # the loaded image stays
    assert "notes.txt" in a.status_text and "not an image" in a.status_text
    assert "dw-status-danger" in a.status.value and custom_sent(comm)[-1]["ok"] is False
    a.undo_edit()
    assert a.canvas.size == (64, 64) and a.canvas.mask.any()


def test_a_file_dropped_on_the_reference_canvas_replaces_the_reference():
    a = EditorApp(mode="appearance")
    data = _file(_photo(32, 32))
    front_end_custom(a.reference_canvas, {"type": "upload", "id": "r", "index": 0, "count": 1, "name": "ref.png",
                                          "size": len(data)}, [data])
    assert a.reference_canvas.size == (32, 32) and a.canvas.size == (64, 64)
    assert "reference" in a.status_text


def test_drawings_stay_with_the_modes_whose_tools_can_edit_them():
    a = _drawn_app()
    a.canvas.region = np.eye(64, dtype=bool)
    a.mode = "drag"  # Drag's brush paints its own editable region: Move's object mask, arrow and region put aside
    assert not a.canvas.mask.any() and a.canvas.arrow is None and not a.canvas.region.any()
    a.canvas.add_point((10, 10), (12, 12))
    a.mode = "landmark"  # points only: the points stay
    assert not a.canvas.mask.any() and a.canvas.points == [[[10.0, 10.0], [12.0, 12.0]]]
    a.mode = "paste"  # arrow only: Move's arrow is back, the points are put aside
    assert not a.canvas.points and a.canvas.arrow == [[20.0, 20.0], [28.0, 24.0]]
    a.mode = "move"  # back: the region, and the object mask as Move left it
    assert np.array_equal(a.canvas.mask, builtin_shape_masks()[0])
    assert a.canvas.arrow == [[20.0, 20.0], [28.0, 24.0]] and a.canvas.region.any()
    assert not a.canvas.points
    a.mode = "drag"
    assert a.canvas.points == [[[10.0, 10.0], [12.0, 12.0]]]  # Drag's points came back


def test_layout_containers_and_full_labels():
    a = EditorApp()
    (body,) = [c for c in a.children if "dw-editor-body" in c._dom_classes]
    assert a.children[-1] is a.inspect_tab.container  # the Inspect panels open below the editor
    left, right = body.children
    assert "dw-editor-left" in left._dom_classes and "dw-editor-right" in right._dom_classes
    assert a.canvas in _all(left) and a.reference_canvas in _all(left) and a.compare in _all(right) and a.run_button in _all(right)
    assert a.mode_selector.style.button_width == "auto"
    for b in (a.run_button, a.undo_edit_button, a.use_result_button, a.export_button):
        assert b.layout.width == "auto"
    assert a.canvas.display_width == 512 and a.compare.view == "side" and a.compare.position == 0.0


def _all(w):
    yield w
    for c in getattr(w, "children", ()) or ():
        yield from _all(c)


# ---------------------------------------------------------------- runs on a tiny random-weight pipeline
torch = pytest.importorskip("torch")


@pytest.fixture
def app(pipe, fast):
    a = EditorApp(pipe=pipe, preset=fast)
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    a.reference_canvas.mask = builtin_shape_masks(reference=True)[0]
    return a


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_status_shows_this_runs_times_not_the_cached_inversions(app):
    app.editor.inversions.clear()  # the pipeline's cache may hold this image from an earlier test
    assert app.run() is not None
    first = app.status_text
    assert "inversion reused" not in first and "edit " in first
    app.canvas.arrow = [[20, 20], [30, 20]]
    assert app.run() is not None
    second = app.status_text
    assert "inversion reused" in second  # same image and prompt: the inversion was not redone
    inv = app.result.timings["invert"]
    assert f"inversion {inv:.1f} s" not in second or inv < 0.05


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_the_reference_inversion_reports_progress(app):
    app.mode = "appearance"
    seen = []
    original = app._on_progress

    def spy(phase, step, total, png):
        seen.append((phase, step, total))
        original(phase, step, total, png)

    app._on_progress = spy
    assert app.run() is not None, app.status_text
    phases = [p for p, *_ in seen]
    assert "Inverting the reference" in phases
    ref = [(s, t) for p, s, t in seen if p == "Inverting the reference"]
    assert ref[-1][0] == ref[-1][1] == 6 and phases.index("Inverting the reference") < phases.index("Editing")
    assert "reference inversion" in app.status_text


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_cancel_puts_the_previous_result_back_in_the_preview(app):
    assert app.run() is not None
    result_png = app.preview.value
    noisy = []
    original = app._on_progress

    def click_cancel(phase, step, total, png):
        original(phase, step, total, png)
        if phase == "Editing" and png is not None and step >= 2 and not noisy:
            noisy.append(app.preview.value)  # the run's x̂0 is on screen now
            app.cancel_button.click()

    app._on_progress = click_cancel
    app.canvas.arrow = [[20, 20], [30, 22]]
    assert app.run() is None and app.status_text.startswith("Cancelled")
    assert noisy and noisy[0] != result_png
    assert app.preview.value == result_png
