"""The inspection tools on a real recorded edit (randomly initialised tiny pipeline, embedded preset)."""

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.slow  # a full 50-step edit recorded with everything, then inspected


def scene():
    img = np.zeros((64, 64, 3), np.uint8)
    img[:] = (30, 60, 200)
    img[20:36, 12:28] = (220, 30, 30)
    return img


@pytest.fixture(scope="module")
def editor():
    import dragon_widgets as dw
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    return dw.DragonEditor(random_embedded_pipeline(0), preset="embedded")


@pytest.fixture(scope="module")
def result(editor):
    import dragon_widgets as dw

    src = editor.invert(scene(), prompt="a red square on a blue background")
    mask = np.zeros((64, 64), bool)
    mask[8:48, 4:52] = True
    return editor.edit(src, dw.Drag(points=[((20, 28), (36, 28))], mask=mask), seed=0, record=True)


def test_trace_is_the_engines(result):
    import dragon_widgets as dw

    assert isinstance(result.trace, dw.EditTrace)
    assert all(isinstance(s, dw.StepRecord) for s in result.trace.steps)


def test_energy_curves_equal_the_engines_recorded_values(result):
    from dragon_widgets.inspect import energy_series

    tr = result.trace
    s = energy_series(tr)
    assert set(tr.terms) <= set(s.terms)
    for term in tr.terms:
        idx, val = tr.energy_series(term)
        row = s.term(term)
        np.testing.assert_array_equal(row[~np.isnan(row)], val)
        np.testing.assert_array_equal(s.index[~np.isnan(row)], idx)
    assert s.round.max() >= 1 and s.time_travel_spans()  # D+ time travel is marked
    assert s.guided.sum() == sum(st.guided for st in tr.steps)


def test_gradient_maps_are_zero_outside_their_masks(result):
    from dragon_widgets.inspect import gradient_map, region_on_grid, term_region

    tr = result.trace
    checked = 0
    for st in tr.steps:
        for term in st.grads:
            region = region_on_grid(term_region(tr, term), tuple(tr.latent_size))
            g = gradient_map(st, term)
            assert np.all(g[~region] == 0), (term, st.index)
            full = gradient_map(st, term, size=tuple(tr.size))
            assert np.all(full[~term_region(tr, term)] == 0)
            checked += 1
    assert checked >= 3 * 20


def test_reference_features_correspond_to_themselves_and_tracks_exist(result):
    from dragon_widgets.inspect import correspond, handle_tracks, trace_features

    tr = result.trace
    ref = trace_features(tr, "reference")
    for key, f in list(ref.items())[:4]:
        cr = correspond(f, f, (20, 28), tuple(tr.size))
        assert cr.match_cell == cr.query_cell and cr.score == pytest.approx(1.0, abs=1e-3)
    ks, tracks = handle_tracks(tr)
    assert tracks.shape == (len(ks), 1, 2)
    assert np.all((tracks >= 0) & (tracks <= 64))


def test_bank_attention_concatenates_own_and_bank_tokens_once_the_bank_starts(result):
    from dragon_widgets.inspect import query_attention

    tr = result.trace
    layer = tr.bank_layers[0]
    early = next(s for s in tr.steps if s.attention and s.index < 5)
    late = next(s for s in tr.steps if s.attention and s.index >= 5)
    a0 = query_attention(early.attention[layer], (36, 28), tuple(tr.size))
    a1 = query_attention(late.attention[layer], (36, 28), tuple(tr.size))
    assert a0.maps.shape[0] == 1 and a1.maps.shape[0] == 2  # drag: [own ‖ bank]
    assert a1.weights.sum() == pytest.approx(1.0, abs=1e-4)


def test_every_figure_and_the_inspector_render(result):
    import matplotlib

    matplotlib.use("Agg")
    from dragon_widgets.inspect import (plot_attention, plot_energies, plot_gradients, plot_overview, plot_step,
                                        plot_trace_correspondence)
    from dragon_widgets.widgets.panels import InspectorApp

    tr = result.trace
    guided = next(k for k, s in enumerate(tr.steps) if s.grads)
    for fig in (plot_energies(tr), plot_gradients(tr, guided, direction=True), plot_step(tr, 20),
                plot_attention(tr, 8, tr.bank_layers[0], (36, 28)), plot_overview(tr, 10),
                plot_trace_correspondence(tr, (20, 28))):
        fig.savefig(__import__("io").BytesIO(), format="png")
    app = InspectorApp(tr)
    assert set(app.panels) == {"step", "energy", "correspondence", "gradients", "attention"}
    for k in range(0, len(tr.steps), 7):
        app.scrubber.value = k
        assert app.energy.step == k



def test_bank_share_of_a_drag_splits_between_own_and_bank_tokens(result):
    from dragon_widgets.inspect import region_share

    tr = result.trace
    query = np.zeros((64, 64), bool)
    query[20:36, 28:44] = True  # around the drag target
    k = next(k for k, s in enumerate(tr.steps) if s.attention and s.index >= 5)  # the bank is on from i = 5
    for layer, rec in tr.steps[k].attention.items():
        assert rec["k"].shape[0] == 2 * rec["grid"][0] * rec["grid"][1]  # [own ‖ bank]
        bank, own = region_share(rec, query), region_share(rec, query, key_group=0)  # drag concatenates
        np.testing.assert_allclose(bank.inside + own.inside, 1.0, rtol=1e-3)
        assert bank.uniform == pytest.approx(0.5) and np.all((bank.inside > 0) & (bank.inside < 1)), layer


def test_reconstructions_with_and_without_refinement(editor):
    from dragon_widgets.inspect import reconstructions

    short = editor.preset.replace(num_steps=8, guided_until=4, dense_until=2, time_travel_steps=(), sde_window=(2, 4),
                                  ip_window=(2, 4))
    import dragon_widgets as dw

    ed = dw.DragonEditor(editor.pipe, preset=short)
    recs = reconstructions(ed, scene(), prompt="a red square", refines=(0, 2))
    assert [r.refine for r in recs] == [0, 2] and ed.preset.inversion_refine == short.inversion_refine
    for r in recs:
        assert r.image.shape == (64, 64, 3) and r.image.dtype == np.uint8 and np.isfinite(r.psnr) and r.seconds > 0
    # refine=0 is the plain inversion of an editor built with it
    plain = dw.DragonEditor(editor.pipe, preset=short.replace(inversion_refine=0))
    np.testing.assert_array_equal(recs[0].image, plain.reconstruct(plain.invert(scene(), prompt="a red square")))
    # the fixed-point iterations make the inversion closer to exact, on any weights
    assert recs[1].psnr > recs[0].psnr
    with pytest.raises(ValueError, match="refines"):
        reconstructions(ed, scene(), refines=(-1,))
