"""The app's inspection in place: the trace every run records, the Inspect toggle and app.inspect(), the metrics
line and log, and landmark drags end to end (real engine, tiny random-weight pipeline, few steps)."""

from __future__ import annotations

import html
import json
import math

import numpy as np

import pytest

torch = pytest.importorskip("torch")

from dragon_widgets.widgets import EditorApp  # noqa: E402
from dragon_widgets.widgets._inspect_tab import RECORD_LEVELS, edit_with_trace, metrics_text  # noqa: E402
from dragon_widgets.widgets._scene import builtin_shape_masks  # noqa: E402


@pytest.fixture(scope="module")
def fast():
    from dragon_widgets.engine import get_preset

    return get_preset("embedded").replace(name="test-fast", num_steps=8, guided_until=5, dense_until=2,
                                          time_travel_steps=(3,), time_travel_rounds=2, sde_window=(2, 4),
                                          ip_window=(2, 4), preview_every=2)


@pytest.fixture
def app(pipe, fast, tmp_path):
    a = EditorApp(pipe=pipe, preset=fast, export_dir=tmp_path / "exports")
    a.canvas.mask = builtin_shape_masks()[0]
    a.canvas.arrow = [[20, 20], [28, 24]]
    return a


def _widgets(w):
    yield w
    for c in getattr(w, "children", ()) or ():
        yield from _widgets(c)


def test_inspect_before_any_run_is_a_clear_error_and_the_toggle_is_off():
    a = EditorApp()
    with pytest.raises(ValueError, match="no result to inspect yet: run an edit first"):
        a.inspect()
    assert a.inspect_tab.toggle.disabled and a.inspect_tab.container.layout.display == "none"
    assert a.inspect_tab.metrics.value == "" and a.metrics_text == ""
    assert a.inspect_tab.level_box in a.params.advanced_box.children  # the trace level sits in Advanced
    assert a.inspect_tab.level.value == "light"


def test_the_record_level_menu_is_short_and_explains_the_chosen_level_under_it():
    from dragon_widgets.widgets._inspect_tab import LEVEL_LABELS

    tab = EditorApp().inspect_tab
    assert tab.level_box.children == (tab.level, tab.level_hint)
    assert all(len(label) <= 24 for label, _ in tab.level.options)  # fits a 967-px classic Notebook page
    for level in ("gradients", "full", "light"):
        tab.level.value = level
        assert html.escape(LEVEL_LABELS[level]) in tab.level_hint.value


def test_every_run_records_a_cheap_trace_and_the_inspect_toggle_shows_it(app):
    from dragon_widgets.widgets.panels import InspectorApp

    res = app.run()
    assert res is not None, app.status_text
    tr = res.trace
    assert tr is not None and tr.record == RECORD_LEVELS["light"] == {"energies", "previews", "applied"}
    assert len(tr.steps) == 8 + 1  # every step, and step 3 twice (time travel)
    guided = tr.guided_steps()
    assert guided and all(s.energies for s in guided)
    assert all(s.x0 is not None for s in tr.steps)
    # a gradient map per guided pass: the update the sampler applied, which costs no backward pass
    assert all(list(s.grads) == ["applied"] for s in guided)
    assert not any(s.grads for s in tr.steps if not s.guided)
    assert not any(s.features or s.attention for s in tr.steps)  # the costly parts stay off
    assert not app.inspect_tab.toggle.disabled and app.inspect_tab.container.layout.display == "none"

    app.inspect_tab.toggle.value = True  # what the page's Inspect button does
    ins = app.inspect()
    assert isinstance(ins, InspectorApp) and ins.trace is tr and app.inspect() is ins  # built once
    assert app.inspect_tab.container.layout.display == ""
    assert ins in app.inspect_tab.container.children and app.inspect_tab.container in app.children
    assert ins.scrubber.max == len(tr.steps) - 1 and set(ins.panels) == {"step", "energy", "gradients"}
    assert ins.gradients.terms == ["applied"]
    assert "9 recorded steps" in app.inspect_tab.note.value
    ins.set_step(4)
    assert ins.step_view.step == 4
    app.inspect_tab.toggle.value = False
    assert app.inspect_tab.container.layout.display == "none"


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_a_new_run_replaces_the_inspected_trace_and_undo_explains_the_older_one(app):
    first = app.run()
    app.inspect_tab.toggle.value = True
    old = app.inspect()
    app.canvas.arrow = [[20, 20], [26, 20]]
    second = app.run()
    assert second is not None and second.trace is not first.trace
    new = app.inspect()
    assert new is not old and new.trace is second.trace and new in app.inspect_tab.container.children
    assert app.history[0]["result"].trace is None  # older results keep image, log and metrics only
    assert app.history[0]["result"].metrics == first.metrics
    app.undo_edit()
    assert app.inspect_tab.toggle.disabled and app.inspect_tab.container.layout.display == "none"
    with pytest.raises(ValueError, match="only the latest run keeps one"):
        app.inspect()
    assert "Background" in app.inspect_tab.metrics.value  # the older result's metrics are still shown
    app.undo_edit()
    assert app.inspect_tab.metrics.value == ""


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_advanced_trace_levels_add_gradient_then_feature_and_attention_panels(app):
    app.inspect_tab.level.value = "gradients"
    res = app.run()
    assert res.trace.record == {"energies", "previews", "applied", "gradients"}
    assert all(set(s.grads) == set(res.trace.terms) | {"applied"} for s in res.trace.guided_steps())
    assert not any(s.features for s in res.trace.steps)
    assert set(app.inspect().panels) == {"step", "energy", "gradients"}
    assert app.inspect().gradients.terms == res.trace.terms + ["applied"]
    app.inspect_tab.level.value = "full"
    app.canvas.arrow = [[20, 20], [26, 20]]
    res = app.run()
    assert res.trace.record == RECORD_LEVELS["full"]
    assert any(s.features for s in res.trace.steps) and any(s.attention for s in res.trace.steps)
    assert set(app.inspect().panels) == {"step", "energy", "gradients", "correspondence", "attention"}
    with pytest.raises(ValueError, match="level must be one of \\('light', 'gradients', 'full'\\)"):
        edit_with_trace(app.editor, None, None, seed=0, level="everything")


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_metrics_line_after_a_move_and_in_the_exported_log(app):
    res = app.run()
    m = res.metrics
    assert m is not None and "error" not in m
    assert m["background_psnr"] is None or m["background_psnr"] > 0
    assert 0 < m["edited_fraction"] < 1 and "drag" not in m
    line = app.inspect_tab.metrics.value
    assert "dw-metrics" in line and "Background outside the edit" in line and "PSNR" in line
    assert app.metrics_text == metrics_text(m)  # the same line as plain text
    assert app.inspect_tab.metrics in list(_widgets(app))
    log = json.loads((app.export() / "edit.json").read_text())
    assert log["metrics"]["edited_fraction"] == pytest.approx(m["edited_fraction"])


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_landmark_mode_runs_end_to_end_with_its_handle_distances(app):
    """Landmarks are reachable from the mode selector and run as the engine's Landmark edit."""
    import dragon_widgets as dw

    assert ("Landmarks", "landmark") in app.mode_selector.options
    app.mode_selector.value = "landmark"  # what a click on the toggle does
    assert app.canvas.tools == ["points"] and app.params.preset_mode == "landmark"
    assert app.run() is None and "point pair" in app.status_text
    app.canvas.add_point((20, 20), (26, 22))
    app.canvas.add_point((40, 30), (44, 36))
    res = app.run()
    assert res is not None, app.status_text
    assert isinstance(res.edit, dw.Landmark) and res.region.all()  # the whole image may follow
    assert res.preset.mode("landmark") == app.params.preset_for("landmark").mode("landmark")
    assert res.trace.mode == "landmark" and len(res.trace.points) == 2
    rows = res.metrics["drag"]
    assert [r["handle"] for r in rows] == [[20.0, 20.0], [40.0, 30.0]]
    assert rows[0]["before"] == pytest.approx(math.hypot(6, 2)) and all(r["after"] >= 0 for r in rows)
    assert res.metrics["background_psnr"] is None  # a landmark edit may change the whole image
    assert "handle → target (mean of 2)" in app.inspect_tab.metrics.value
    assert json.loads((app.export() / "edit.json").read_text())["edit"]["kind"] == "landmark"


@pytest.mark.slow  # end to end through the app: a real run of the engine
def test_a_failing_metric_leaves_the_edit_standing(app, monkeypatch):
    from dragon_widgets.widgets import _inspect_tab

    def broken(_editor, _result):
        raise RuntimeError("no features")

    monkeypatch.setattr(_inspect_tab, "measure", broken)
    res = app.run()
    assert res is not None and app.status_text.startswith("Done")
    assert "Metrics unavailable: RuntimeError: no features" in app.inspect_tab.metrics.value


def test_metrics_text_in_plain_words():
    assert metrics_text(None) == ""
    assert metrics_text({"background_psnr": math.inf, "edited_fraction": 0.2}) == \
        "Background outside the edit: unchanged"
    assert metrics_text({"background_psnr": 31.26, "edited_fraction": 0.25}) == \
        "Background outside the edit (75 % of the image): PSNR 31.3 dB"
    drag = [{"before": 10.0, "after": 2.0}, {"before": 6.0, "after": 4.0}]
    assert metrics_text({"background_psnr": None, "edited_fraction": 1.0, "drag": drag}) == \
        ("Background: not measured (the edit may change the whole image) · "
         "tracked handle → target (mean of 2): 8.0 px before, 3.0 px after")


def test_metrics_line_says_in_words_when_something_outside_changed():
    from dragon_widgets.widgets._inspect_tab import metrics_html

    clean = {"background_psnr": 33.0, "edited_fraction": 0.3, "invented_regions": 0, "invented_boxes": []}
    assert metrics_text(clean).startswith("Nothing outside the edit changed strongly · Background outside the edit")
    bad = {"background_psnr": 24.0, "edited_fraction": 0.3, "invented_regions": 2,
           "invented_boxes": [[1, 1, 5, 5], [9, 9, 14, 14]], "measured_outside": "default drag region"}
    text = metrics_text(bad)
    assert text.startswith("Warning: 2 regions outside the edit changed strongly")
    assert "Background outside the default drag region (70 % of the image): PSNR 24.0 dB" in text
    assert "dw-metrics-warning" in metrics_html(bad) and "dw-metrics-warning" not in metrics_html(clean)
    assert "#1b7f3b" not in metrics_html(bad)  # never green
