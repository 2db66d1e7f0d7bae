import numpy as np
import pytest
from matplotlib.figure import Figure

from dragon_widgets.inspect import (plot_attention, plot_correspondence, plot_energies, plot_gradients, plot_step,
                                    plot_trace_correspondence, trace_features)
from inspect_synthetic import BANK_LAYER


def _png(fig):
    import io

    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def test_correspondence_grid_figure_has_one_heatmap_per_layer_and_timestep(trace):
    ref, cur = trace_features(trace, "reference"), trace_features(trace, "current")
    keys = [k for k in ref if k[1] in (981, 941)]
    fig = plot_correspondence(trace.original, trace.result, ref, cur, (20, 20), keys)
    assert isinstance(fig, Figure)
    titles = [ax.get_title() for ax in fig.axes]
    assert sum("up_blocks.1" in t for t in titles) == 2 and sum("up_blocks.2" in t for t in titles) == 2
    assert _png(fig)[:4] == b"\x89PNG"


def test_correspondence_figure_draws_the_match_lines_of_the_widget(trace):
    ref, cur = trace_features(trace, "reference"), trace_features(trace, "current")
    keys = [k for k in ref if k[1] in (981, 941)]
    fig = plot_correspondence(trace.original, trace.result, ref, cur, (20, 20), keys, match_timestep=941)
    pair_ax = next(ax for ax in fig.axes if "best match per layer at t=941" in ax.get_title())
    labelled = [ln for ln in pair_ax.get_lines() if not ln.get_label().startswith("_")]
    assert [ln.get_label().split(" ")[0] for ln in labelled] == ["up_blocks.1", "up_blocks.2"]
    for ln in labelled:
        (x0, x1), (y0, _) = ln.get_xdata(), ln.get_ydata()
        assert (x0, y0) == (20, 20) and x1 > trace.original.shape[1]


def test_trace_correspondence_filters(trace):
    fig = plot_trace_correspondence(trace, (30, 30), layers=["up_blocks.2"], timesteps=[981])
    assert sum("up_blocks.2 t=981" in ax.get_title() for ax in fig.axes) == 1
    with pytest.raises(ValueError, match="no recorded features"):
        plot_trace_correspondence(trace, (30, 30), layers=["up_blocks.9"])


def test_energy_figure_plots_the_recorded_values(trace):
    fig = plot_energies(trace)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    y = lines["edit"].get_ydata()
    want = [s.energies["edit"] for s in trace.steps if "edit" in s.energies]
    np.testing.assert_allclose(y, want)
    _png(fig)


def test_gradient_figure_with_direction_row(trace):
    fig = plot_gradients(trace, 0, direction=True)
    assert sum("push" in ax.get_title() for ax in fig.axes) == 4
    _png(fig)
    with pytest.raises(ValueError, match="no recorded gradients"):
        plot_gradients(trace, 1)


def test_attention_and_step_figures(trace):
    fig = plot_attention(trace, 0, BANK_LAYER, (30, 30))
    assert any("bank tokens" in ax.get_title() for ax in fig.axes)
    _png(fig)
    fig = plot_step(trace, 6)
    assert "x̂₀" in fig.axes[0].get_title()
    _png(fig)
    with pytest.raises(ValueError, match="step"):
        plot_step(trace, 99)


def test_attention_figure_per_head(trace):
    fig = plot_attention(trace, 0, BANK_LAYER, (30, 30), heads=True)
    titles = [ax.get_title() for ax in fig.axes]
    # 2 heads × [own ‖ bank] groups, each head's weights over both groups sum to 1
    assert sum(t.startswith("head 0 · ") for t in titles) == 2 and sum(t.startswith("head 1 · ") for t in titles) == 2
    _png(fig)


def test_bank_share_figure_draws_the_series(trace):
    from dragon_widgets.inspect import bank_share_series, plot_bank_share

    src = trace.masks["edit"]
    fig = plot_bank_share(trace, ~src, src)
    ax = fig.axes[0]
    series = bank_share_series(trace, BANK_LAYER, ~src, src)
    solid = [ln for ln in ax.get_lines() if ln.get_linestyle() == "-"]
    assert len(solid) == 2  # one per head
    np.testing.assert_allclose(solid[1].get_ydata(), series.inside[:, 1])
    _png(fig)


def test_difference_figure(trace):
    from dragon_widgets.inspect import plot_difference

    b = trace.original.copy()
    b[:8, :8] = 255 - b[:8, :8]
    fig = plot_difference(trace.original, b, "original", "changed", outline={"edit": trace.masks["edit"]})
    from dragon_widgets.inspect import image_difference

    want = image_difference(trace.original, b)
    assert len(fig.axes) == 4 and f"mean {want.mean():.1f}, max {want.max():.0f}" in fig.axes[2].get_title()
    np.testing.assert_array_equal(fig.axes[2].get_images()[0].get_array(), want)
    assert len(fig.axes[2].get_images()) == 2  # the difference and the outline
    _png(fig)


def test_gradient_and_overview_figures_of_a_trace_with_only_the_applied_update(trace):
    from inspect_synthetic import with_applied

    from dragon_widgets.inspect import plot_overview

    light = with_applied(trace)
    fig = plot_gradients(light, 0, direction=True)
    titles = [ax.get_title() for ax in fig.axes]
    assert sum("|g| (applied update)" in t for t in titles) == 1 and sum("push of −g" in t for t in titles) == 1
    assert not any("∂E_" in t for t in titles)
    _png(fig)
    with pytest.raises(ValueError, match="no recorded gradients"):
        plot_gradients(light, 1)
    with pytest.raises(ValueError, match=r"terms \['edit'\] have no gradient map at step 0"):
        plot_gradients(light, 0, terms=["edit"])
    over = plot_overview(light, 3)  # step 3 is unguided: the map of the last guided step, 2
    assert any(t.startswith("|g| (applied update) i=2 ") for t in (ax.get_title() for ax in over.axes))
    _png(over)


def test_gradient_figure_with_per_term_maps_and_the_applied_update(trace):
    from inspect_synthetic import with_applied

    from dragon_widgets.inspect import plot_overview

    both = with_applied(trace, per_term=True)
    titles = [ax.get_title() for ax in plot_gradients(both, 0).axes if ax.get_title()]
    assert titles[0].startswith("x̂₀ ")  # the step's x̂₀ first: the maps are opaque
    titles = titles[1:]
    assert [t.split(" ")[0] for t in titles] == [f"|∂E_{t}/∂z|" for t in trace.terms] + ["|g|"]
    over = [ax.get_title() for ax in plot_overview(both, 0).axes]
    assert any(t.startswith("|∂E_edit/∂z|") for t in over)  # the edit term's map, as before
