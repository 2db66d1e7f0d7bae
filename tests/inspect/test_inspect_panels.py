import dataclasses

import numpy as np
import pytest
from ipywidgets.widgets.widget import _remove_buffers

from dragon_widgets.inspect import energy_series, trace_features
from dragon_widgets.widgets.panels import (AttentionPanel, CorrespondenceExplorer, EnergyPanel, GradientPanel,
                                           InspectorApp, StepView)


def click(image_canvas, x, y):
    """A front-end mouse-down at canvas pixel (x, y), delivered the way ipycanvas receives it."""
    image_canvas.canvas._handle_frontend_event(None, {"event": "mouse_down", "x": x, "y": y}, [])


def test_clicking_a_point_updates_every_heatmap(trace):
    ex = CorrespondenceExplorer.from_trace(trace)
    assert ex.point == tuple(trace.points[0][0])
    before = {k: c.pixels.copy() for k, c in ex.cells.items()}
    zoom = ex.canvas_a.zoom
    click(ex.canvas_a, 50 * zoom, 10 * zoom)
    assert ex.point == pytest.approx((50, 10))
    assert set(ex.results) == set(before)
    for k, c in ex.cells.items():
        assert not np.array_equal(c.pixels, before[k])
        # current branch = reference rolled by (1, 2) cells on the finest layer: best match follows the roll
    cr = ex.results[("up_blocks.2", ex.timesteps[0])]
    assert cr.match_cell == ((25 + 2) % 32, (5 + 1) % 32)


def test_identical_features_show_full_similarity_at_the_query(trace):
    ref = trace_features(trace, "reference")
    ex = CorrespondenceExplorer(trace.original, trace.original, ref, ref, point=(33, 47))
    for cr in ex.results.values():
        col, row = cr.query_cell
        assert cr.similarity[row, col] == pytest.approx(1.0, abs=1e-3)
        assert cr.match_cell == cr.query_cell


def test_explorer_grid_and_layer_selection(trace):
    ex = CorrespondenceExplorer.from_trace(trace, max_columns=2)
    assert len(ex.timesteps) == 2 and len(ex.grid.children) == 4  # 2 layers x 2 timesteps
    ex.layer_select.value = ("up_blocks.1",)
    assert len(ex.grid.children) == 2 and all(k[0] == "up_blocks.1" for k in ex.results)
    ex.set_timesteps([941])
    assert ex.timesteps == [941] and list(ex.results) == [("up_blocks.1", 941)]
    with pytest.raises(ValueError, match="point"):
        ex.set_point(64, 3)


def test_pair_view_draws_a_match_line_per_selected_layer(trace):
    ex = CorrespondenceExplorer.from_trace(trace, max_columns=2)
    t = ex.pair_timestep
    assert [ln.key for ln in ex.lines] == [(layer, t) for layer in ex.layers]
    for ln in ex.lines:
        assert ln.end[0] > ex.size_a[0]  # ends in B's half
        assert ln.start == pytest.approx(ex.point)
    fine = next(ln for ln in ex.lines if ln.key[0] == "up_blocks.2")
    cr = ex.results[fine.key]
    assert fine.end == pytest.approx((ex.size_a[0] + 2 + cr.match[0], cr.match[1]))
    color = ex.lines[0].color
    assert "match lines" in ex.info.value and fine.key[0] in ex.info.value
    ex.layer_select.value = ("up_blocks.2",)
    assert [ln.key[0] for ln in ex.lines] == ["up_blocks.2"] and ex.lines[0].color != color
    zoom = ex.pair_canvas.zoom
    click(ex.pair_canvas, 40 * zoom, 12 * zoom)  # A half of the pair view: moves the query
    assert ex.point == pytest.approx((40, 12)) and ex.lines[0].start == pytest.approx((40, 12))
    click(ex.pair_canvas, (ex.size_a[0] + 10) * zoom, 12 * zoom)  # B half: ignored
    assert ex.point == pytest.approx((40, 12))
    ex.set_timesteps([941])
    assert ex.pair_timestep == 941 and ex.lines[0].key == ("up_blocks.2", 941)


def test_energy_panel_sends_arrays_as_binary(trace):
    p = EnergyPanel(trace)
    state, paths, buffers = _remove_buffers(p.get_state())
    assert ["values"] in paths and ["guided"] in paths
    vals = np.frombuffer(bytes(buffers[paths.index(["values"])]), np.float32).reshape(len(p.terms), p.n_steps)
    np.testing.assert_allclose(vals, energy_series(trace).values.astype(np.float32))
    assert isinstance(state.get("terms"), list)


def test_energy_panel_accepts_a_front_end_step_with_a_memoryview(trace):
    p = EnergyPanel(trace)
    p._handle_msg({"content": {"data": {"method": "update", "state": {"step": 3}, "buffer_paths": []}}, "buffers": []})
    assert p.step == 3
    raw = np.zeros(p.n_steps, np.uint8).tobytes()
    p._handle_msg({"content": {"data": {"method": "update", "state": {"step": 2, "guided": None},
                                        "buffer_paths": [["guided"]]}}, "buffers": [memoryview(raw)]})
    assert p.step == 2 and p.guided == raw


def test_scrubber_updates_every_panel(trace):
    app = InspectorApp(trace)
    assert set(app.panels) == {"step", "energy", "correspondence", "gradients", "attention"}
    before = app.step_view.canvas.pixels.copy()
    app.scrubber.value = 4
    assert app.energy.step == 4
    assert not np.array_equal(app.step_view.canvas.pixels, before)
    assert app.gradients.shown_step == 4 and app.attention.shown_step == 4
    assert app.explorer.timesteps == [trace.steps[4].timestep]
    app.scrubber.value = 5  # an unguided time-travel round: panels fall back to the last guided step
    assert app.gradients.shown_step == 5 or trace.steps[5].grads == {}
    app.energy.step = 2  # a click on the energy curve moves the scrubber
    assert app.scrubber.value == 2 and app.gradients.shown_step == 2
    app.grid_view.value = "grid over steps"
    assert len(app.explorer.timesteps) > 1


def test_gradient_panel_modes_and_masks(trace):
    gp = GradientPanel(trace)
    gp.set_step(1)  # unguided: shows step 0
    assert gp.shown_step == 0
    region = ~trace.masks["edit"].reshape(32, 2, 32, 2).any(axis=(1, 3))
    assert np.all(gp.maps["edit"][region] == 0)
    gp.mode.value = "direction"
    assert gp.maps["edit"].min() < 0 < gp.maps["edit"].max()


def test_attention_panel_click_picks_the_query(trace):
    ap = AttentionPanel(trace)
    click(ap.query, 5 * ap.query.zoom, 60 * ap.query.zoom)
    assert ap.result.query_cell == (1, 15)
    assert ap.result.maps.shape == (2, 16, 16)
    assert ap.groups[1].label.value.count("bank tokens") == 1 and "own tokens" in ap.groups[0].label.value


def test_panels_for_missing_recordings_are_left_out(trace):
    bare = dataclasses.replace(trace, steps=[dataclasses.replace(s, attention={}, features={}) for s in trace.steps])
    app = InspectorApp(bare)
    assert set(app.panels) == {"step", "energy", "gradients"}
    with pytest.raises(ValueError, match="attention"):
        AttentionPanel(bare)
    with pytest.raises(ValueError, match="trace"):
        InspectorApp(None)
    StepView(bare).set_step(3)


def test_display_data_carries_the_static_figure(trace):
    app = InspectorApp(trace)
    bundle = app._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in bundle
    import base64

    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"


def test_every_panel_displays_with_a_static_twin(trace):
    import base64

    panels = [CorrespondenceExplorer.from_trace(trace), StepView(trace), GradientPanel(trace), AttentionPanel(trace)]
    for p in panels:
        bundle = p._repr_mimebundle_()
        assert "application/vnd.jupyter.widget-view+json" in bundle, type(p).__name__
        assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG", type(p).__name__
    with pytest.raises(ValueError, match="point"):
        panels[3].set_point(-1, 3)


def test_inspector_and_explorer_hold_no_output_widget(trace):
    """ipywidgets 7.8.5 in classic Notebook cannot display an ``ipywidgets.Output`` (the whole view fails)."""
    import ipywidgets

    def walk(w):
        yield w
        for c in getattr(w, "children", ()) or ():
            yield from walk(c)

    for root in (InspectorApp(trace), CorrespondenceExplorer.from_trace(trace).widget):
        found = list(walk(root))
        assert len(found) > 5 and not [w for w in found if isinstance(w, ipywidgets.Output)]


def test_inspector_of_a_trace_with_only_the_applied_update_shows_its_gradient_map(trace):
    import base64

    from inspect_synthetic import with_applied

    light = with_applied(trace)
    app = InspectorApp(light)
    assert "gradients" in app.panels and app.gradients.terms == ["applied"]
    header = app.children[app.children.index(app.gradients.widget) - 1].value
    assert "the update the sampler applied" in header
    app.scrubber.value = 4
    g = app.gradients.maps["applied"]
    np.testing.assert_allclose(g, light.steps[4].grads["applied"])
    assert "|g| (applied update)" in app.gradients.canvases["applied"].label.value
    app.scrubber.value = 1  # unguided: the last guided step's update
    assert app.gradients.shown_step == 0 and "(last guided)" in app.gradients.canvases["applied"].label.value
    app.gradients.mode.value = "direction"
    assert app.gradients.maps["applied"].min() < 0 < app.gradients.maps["applied"].max()
    assert "applied: push" in app.gradients.canvases["applied"].label.value
    bundle = app.gradients._repr_mimebundle_()
    assert base64.b64decode(bundle["image/png"])[:4] == b"\x89PNG"


def test_gradient_panel_with_per_term_maps_adds_the_applied_update_last(trace):
    from inspect_synthetic import with_applied

    both = with_applied(trace, per_term=True)
    gp = GradientPanel(both)
    assert gp.terms == trace.terms + ["applied"]
    np.testing.assert_allclose(gp.maps["applied"], both.steps[0].grads["applied"])
    app = InspectorApp(both)
    header = app.children[app.children.index(app.gradients.widget) - 1].value
    assert "per term" in header and "their sum g" in header
