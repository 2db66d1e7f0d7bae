"""The figures say what their text says: a push colour means the same at every step, cells without gradient read
as zero, flat correspondence maps are marked, each column is drawn over its own step, the energy axis spans the
guided steps, one colour per term, one way to print a point, and a presenter style."""

import dataclasses

import numpy as np
import pytest
from matplotlib.colors import to_rgba

from dragon_widgets import inspect as di
from dragon_widgets.inspect.colors import term_color
from inspect_synthetic import make_trace


def _move_like(sign_flip_step: int = 1) -> object:
    """A trace whose update writes pattern p at a target cell and removes it at a source cell at every step; at step
    ``sign_flip_step`` the source cell's update is the larger one (what flipped the old per-step orientation)."""
    trace = make_trace()
    p = np.array([1.0, -2.0, 0.5, 3.0, 0, 0, 0, 0, 0, 0, 0, 0], np.float32)
    steps = []
    for k, s in enumerate(trace.steps):
        if not s.grad_latents:
            steps.append(s)
            continue
        g = np.zeros((12, 32, 32), np.float32)
        big_source = k == sign_flip_step
        g[:, 12, 14] = -p * (1.0 if big_source else 3.0)  # target (inside the edit mask): descent step +p
        g[:, 28, 4] = p * (3.0 if big_source else 1.0)  # source (outside): descent step −p
        steps.append(dataclasses.replace(s, grad_latents={"applied": g},
                                         grads={"applied": np.abs(g).mean(axis=0)}))
    return dataclasses.replace(trace, steps=steps, terms=[], record=frozenset({"applied", "previews", "energies"}))


def test_push_colours_keep_their_meaning_from_step_to_step():
    tr = _move_like(sign_flip_step=2)
    axis = di.push_axis(tr)
    guided = [s for s in tr.steps if s.grad_latents]
    for s in guided:  # with the trace's axis: target red (+), source blue (−) at every step
        d = di.gradient_direction(s, "applied", axis=axis)
        assert d[12, 14] > 0 > d[28, 4], s.index
        assert di.push_share(s, "applied", axis) == pytest.approx(1.0, abs=1e-5)  # a rank-1 update lies along d
    # the step's own axis (oriented by its largest cell) flips where the source cell is the larger one
    flipped = di.gradient_direction(tr.steps[2], "applied")
    assert flipped[28, 4] > 0 > flipped[12, 14]


def test_push_axis_is_signed_by_the_edit_region_and_needs_signed_gradients(trace):
    axis = di.push_axis(trace)
    edit_cells = trace.masks["edit"].reshape(32, 2, 32, 2).any(axis=(1, 3))
    total = sum(di.gradient_direction(s, t, axis=axis)[edit_cells].sum()
                for s in trace.steps if s.grad_latents for t in s.grad_latents)
    assert total > 0
    bare = dataclasses.replace(trace, steps=[dataclasses.replace(s, grad_latents={}) for s in trace.steps])
    with pytest.raises(ValueError, match="no signed gradients"):
        di.push_axis(bare)
    with pytest.raises(ValueError, match="channels"):
        di.gradient_direction(trace.steps[0], "edit", axis=np.ones(3))


def _heat_images(fig):
    """(axes title, AxesImage) of every gradient map drawn in a figure (not the x̂₀ panels)."""
    out = []
    for ax in fig.axes:
        t = ax.get_title()
        if "∂E" in t or "|g|" in t or "push" in t:
            out += [(t, im) for im in ax.get_images()]
    return out


def test_gradient_maps_are_opaque_so_masked_out_cells_read_as_zero(trace):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = di.plot_gradients(trace, 0, direction=True)
    FigureCanvasAgg(fig)
    heats = _heat_images(fig)
    assert heats
    for title, im in heats:
        arr = im.get_array()
        if arr.ndim == 2:  # the value fields (outline overlays are RGBA)
            assert im.get_alpha() in (None, 1.0), title
            assert not np.ma.is_masked(arr) and np.isfinite(np.asarray(arr)).all(), title
    # rendered: a background cell of the edit term's map has the colour map's zero colour (black), not x̂₀
    fig.canvas.draw()
    ax = next(a for a in fig.axes if a.get_title().startswith("|∂E_edit/∂z|"))
    x, y = ax.transData.transform((2.5, 60.5))  # pixel (2, 60): far outside the edit mask
    rgba = np.asarray(fig.canvas.buffer_rgba())
    px = rgba[int(round(fig.canvas.get_width_height()[1] - y)), int(round(x))][:3] / 255
    np.testing.assert_allclose(px, to_rgba("black")[:3], atol=0.05)


def test_gradient_panel_draws_zero_not_the_image(trace):
    from dragon_widgets.inspect.colors import colorize
    from dragon_widgets.widgets.panels import GradientPanel

    panel = GradientPanel(trace)
    pix = panel.canvases["edit"].pixels
    zero = colorize(np.zeros((1, 1)), "inferno", 0.0, 1.0)[0, 0]
    corner = pix[-3, 2]  # bottom-left: outside the edit mask, no outline there
    np.testing.assert_array_equal(corner, zero)
    panel.mode.value = "direction"
    assert "along d" in panel.canvases["edit"].label.value
    assert "the same at every step" in panel.caption.value


def _flat_trace():
    """Features that are one vector everywhere in the edited branch: every position matches equally well."""
    trace = make_trace()
    steps = []
    for s in trace.steps:
        if s.features:
            feats = {}
            for name, pair in s.features.items():
                cur = np.ones_like(pair["current"])
                feats[name] = {"reference": pair["reference"], "current": cur}
            s = dataclasses.replace(s, features=feats)
        steps.append(s)
    return dataclasses.replace(trace, steps=steps)


def test_flat_correspondence_maps_are_marked_and_get_no_cross():
    tr = _flat_trace()
    fig = di.plot_trace_correspondence(tr, (20, 20), layers=["up_blocks.2"])
    cells = [ax for ax in fig.axes if ax.get_title().startswith("up_blocks.2 t=")]
    assert cells and all("flat" in ax.get_title() for ax in cells)
    for ax in cells:
        assert not any(ln.get_marker() == "x" for ln in ax.get_lines())
    assert "flat" in fig.get_suptitle()
    ok = di.plot_trace_correspondence(make_trace(), (20, 20), layers=["up_blocks.2"])
    informative = [ax for ax in ok.axes if ax.get_title().startswith("up_blocks.2 t=")]
    assert informative and not any("flat" in ax.get_title() for ax in informative)
    assert all(any(ln.get_marker() == "x" for ln in ax.get_lines()) for ax in informative)


def test_correspondence_explorer_dims_flat_maps():
    from dragon_widgets.widgets.panels import CorrespondenceExplorer

    ex = CorrespondenceExplorer.from_trace(_flat_trace(), point=(20, 20))
    assert all("flat" in c.label.value for c in ex.cells.values())
    assert "dimmed = flat" in ex.info.value


def test_each_correspondence_column_is_drawn_over_its_own_steps_x0(trace):
    fig = di.plot_trace_correspondence(trace, (20, 20), layers=["up_blocks.1"], timesteps=[981, 941])
    want = di.trace_timestep_images(trace)
    for ax in fig.axes:
        t = ax.get_title()
        if t.startswith("up_blocks.1 t="):
            ts = int(t.split("t=")[1].split()[0])
            np.testing.assert_array_equal(np.asarray(ax.get_images()[0].get_array()), want[ts])
    assert not np.array_equal(want[981], want[941])


def test_a_query_point_prints_the_same_everywhere(trace):
    q = (49.81, 12.91)
    assert di.format_point(q) == "(49.8, 12.9)" and di.format_point((3, 4.0)) == "(3, 4)"
    fig = di.plot_trace_correspondence(trace, q, layers=["up_blocks.1"], timesteps=[981])
    assert "query (49.8, 12.9)" in fig.axes[0].get_title()
    from inspect_synthetic import BANK_LAYER

    assert "query (49.8, 12.9)" in di.plot_attention(trace, 0, BANK_LAYER, q).axes[0].get_title()


def test_energy_axis_spans_the_guided_steps_with_whole_step_ticks(trace):
    s = di.energy_series(trace)
    fig = di.plot_energies(trace, step=len(trace.steps) - 1)
    ax = fig.axes[0]
    lo, hi = s.span()
    assert ax.get_xlim() == pytest.approx((lo - 0.6, hi + 0.6))
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert all(float(t).is_integer() for t in ticks) and len(set(np.diff(ticks))) == 1
    # the rounds of a time-travel step sit just right of it
    rounds = s.positions[s.round > 0]
    assert np.all(rounds - np.floor(rounds) > 0) and np.all(rounds - np.floor(rounds) < 1)
    # the last step is not guided and lies past the guided ones: the cursor is pinned, and says which step it is
    assert any("no energies after" in t.get_text() for t in ax.texts)


def test_one_colour_per_energy_term_in_every_energy_figure(trace):
    import matplotlib.colors as mc

    fig = di.plot_energies(trace, compare={"other": trace})
    for term in trace.terms:
        lines = [ln for ln in fig.axes[0].get_lines() if ln.get_label() == term]
        assert lines and mc.to_hex(lines[0].get_color()) == term_color(term)
    # the ablation style: one small energy plot per variant into existing axes, same colours
    from matplotlib.figure import Figure

    f2 = Figure()
    ax = f2.add_subplot()
    di.plot_energies(trace, ax=ax, legend=False)
    colors = {mc.to_hex(ln.get_color()) for ln in ax.get_lines() if not ln.get_label().startswith("_")}
    assert {term_color(t) for t in trace.terms} <= colors
    with pytest.raises(ValueError, match="terms"):
        di.plot_energies(trace, terms=["nope"])


def test_presenter_style_enlarges_text_and_restores_the_default(trace):
    normal = di.plot_energies(trace)
    with di.presenter() as st:
        assert di.current_style() is st and st.title >= 16
        big = di.plot_energies(trace)
        grads = di.plot_gradients(trace, 0)
    assert di.current_style().name == "notebook"
    size = lambda fig: fig.axes[0].xaxis.label.get_fontsize()
    assert size(big) > size(normal) >= 7
    assert all(ax.title.get_fontsize() >= 16 for ax in grads.axes if ax.get_title())
    with pytest.raises(ValueError, match="style"):
        di.get_style("huge")


def test_reconstruction_figure_has_no_empty_panel_and_one_colour_bar():
    from dragon_widgets.inspect.inversion import Reconstruction

    rng = np.random.default_rng(0)
    img = (rng.random((64, 64, 3)) * 255).astype(np.uint8)
    recs = [Reconstruction(r, np.clip(img.astype(int) + 10 * (2 - r), 0, 255).astype(np.uint8), 30.0 + r, 1.0)
            for r in (0, 1)]
    fig = di.plot_reconstructions(img, recs)
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(panels) == 5 and all(ax.get_images() for ax in panels)
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 1
    with pytest.raises(ValueError, match="recs"):
        di.plot_reconstructions(img, [])


def test_the_overview_and_the_inspector_open_at_the_last_guided_step(trace):
    from dragon_widgets.widgets.panels import InspectorApp

    k = di.default_step(trace)
    assert trace.steps[k].guided and not any(s.guided for s in trace.steps[k + 1:])
    assert InspectorApp(trace).step == k and InspectorApp(trace, step=1).step == 1
    title = di.plot_overview(trace).axes[0].get_title()
    assert title.startswith(f"x̂₀ {di.step_label(trace.steps[k])}")


def test_default_queries_fall_back_from_points_to_masks_to_the_centre(trace):
    assert di.default_query(trace, "source") == (24.0, 28.0) and di.default_query(trace, "target") == (40.0, 28.0)
    no_points = dataclasses.replace(trace, points=[])
    x, y = di.default_query(no_points, "target")  # a move: the centre of the edit mask (its new place)
    assert 20 <= x <= 48 and 16 <= y <= 40
    assert di.default_query(dataclasses.replace(no_points, masks={}), "source") == (32.0, 32.0)
