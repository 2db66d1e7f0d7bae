"""The editor app tells the truth about its state: nothing stale after loading an image, Undo brings back an
earlier result's metrics, the prompt of the old image is cleared and said so, the embedded model's limits are said
once, a non-image file is said in words, the first run's times include loading the model, and Advanced offers only
what the model can use."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from dragon_widgets.widgets import EditorApp
from dragon_widgets.widgets.app import EMBEDDED_LIMITS, _preview_png, done_message


@dataclass
class _Result:  # what the app reads of an EditResult
    image: Any
    metrics: dict | None = None
    trace: Any = None
    seed: int = 0
    source: Any = None
    timings: dict = field(default_factory=dict)


def _photo(w: int = 48, h: int = 40) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    return np.stack([xx * 5 % 256, yy * 6 % 256, (xx + yy) % 256], -1).astype(np.uint8)


def _with_history(a: EditorApp) -> tuple[_Result, _Result]:
    """Two finished edits in the app's history, as _finish leaves them."""
    img = a.canvas.image_array
    first = _Result(img[::-1].copy(), {"background_psnr": 30.0, "edited_fraction": 0.2, "invented_regions": 0,
                                       "invented_boxes": []})
    second = _Result(img[:, ::-1].copy(), {"background_psnr": 20.0, "edited_fraction": 0.2, "invented_regions": 1,
                                           "invented_boxes": [[1, 1, 9, 9]]})
    a.history = [{"mode": "move", "input": img, "result": first, "seconds": 1.0},
                 {"mode": "move", "input": first.image, "result": second, "seconds": 1.0}]
    a._steps = ["edit", "edit"]
    a.result = second
    a.inspect_tab.set_result(second)
    return first, second


def test_loading_an_image_leaves_no_stale_metrics_or_inspect():
    a = EditorApp()
    _with_history(a)
    assert a.metrics_text.startswith("Warning: 1 region outside the edit changed strongly")
    a.load_image(_photo())
    assert a.metrics_text == "" and a.inspect_tab.toggle.disabled and a.result is None
    a.undo_edit()  # back: the earlier result and its metrics line
    assert a.metrics_text.startswith("Warning: 1 region")


def test_undo_restores_the_earlier_results_metrics_and_overlay():
    a = EditorApp()
    first, _second = _with_history(a)
    a.undo_edit()
    assert a.result is first and a.metrics_text.startswith("Nothing outside the edit changed strongly")
    assert a.preview.value == _preview_png(first.image)  # no red boxes: the first result had none


def test_the_preview_boxes_what_changed_outside():
    img = np.full((64, 64, 3), 255, np.uint8)
    boxed = np.asarray(Image.open(io.BytesIO(_preview_png(img, [[10, 10, 20, 20]]))))
    assert boxed.shape == (256, 256, 3) and (boxed == (255, 0, 0)).all(-1).sum() > 100
    assert not (np.asarray(Image.open(io.BytesIO(_preview_png(img)))) != 255).any()


def test_the_old_prompt_is_cleared_and_said_so_and_undo_brings_it_back():
    a = EditorApp()
    old = a.params.prompt.value
    assert old  # the built-in scene's caption
    a.load_image(_photo())
    assert a.params.prompt.value == "" and "prompt described the previous image" in a.status_text
    a.undo_edit()
    assert a.params.prompt.value == old
    a.load_image(_photo(), prompt="a striped cloth")
    assert a.params.prompt.value == "a striped cloth" and "prompt described" not in a.status_text


def test_the_embedded_models_limits_are_said_once_on_loading_an_image():
    a = EditorApp()
    a.load_image(_photo())
    assert EMBEDDED_LIMITS in a.status_text and "dw-status-warning" in a.status.value
    assert "invents objects" in EMBEDDED_LIMITS and "load_pipeline(" in EMBEDDED_LIMITS and "cuda" in EMBEDDED_LIMITS
    a.load_image(_photo(32, 32))
    assert EMBEDDED_LIMITS not in a.status_text


def test_a_non_image_file_is_said_in_words_without_a_python_repr():
    a = EditorApp()
    try:
        a._uploaded(b"hello, these are notes", "notes.txt")
    except ValueError:
        pass
    assert "notes.txt" in a.status_text and "is not an image file" in a.status_text
    assert "<" not in a.status_text and "object at 0x" not in a.status_text


def test_the_first_runs_times_include_loading_the_model():
    src = _Result(None, timings={"invert": 2.0})
    res = _Result(None, source=src, timings={"edit": 3.0, "invert": 2.0})
    assert done_message("Move", 10.2, 2.0, res, loaded=5.1) == \
        "Done: move in 10.2 s (model load 5.1 s, edit 3.0 s, inversion 2.0 s)."
    assert "model load" not in done_message("Move", 3.1, 0.0, res)


def test_image_prompt_scale_is_offered_only_with_an_adapter():
    a = EditorApp()  # the embedded model: no IP-Adapter
    a.mode = "move"
    assert a.params.advanced_fields["ip_scale"].layout.display == "none"
    a.params.set_unavailable(set())
    assert a.params.advanced_fields["ip_scale"].layout.display == ""
