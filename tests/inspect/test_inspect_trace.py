import dataclasses

import numpy as np
import pytest

from dragon_widgets.inspect import (energy_series, gradient_direction, gradient_map, handle_tracks, query_attention,
                                    attention_weights, region_on_grid, term_region, trace_features)
from inspect_synthetic import BANK_LAYER


def test_energy_curves_equal_the_recorded_values(trace):
    s = energy_series(trace)
    assert s.terms == trace.terms
    for k, st in enumerate(trace.steps):
        for term in s.terms:
            if term in st.energies:
                assert s.term(term)[k] == st.energies[term]
            else:
                assert np.isnan(s.term(term)[k])
    assert list(s.index) == [st.index for st in trace.steps]
    assert list(s.guided) == [st.guided for st in trace.steps]


def test_time_travel_rounds_are_marked(trace):
    s = energy_series(trace)
    assert list(s.round[4:7]) == [0, 1, 2]
    assert s.time_travel_spans() == [(4, 6)]
    tot = s.total
    guided = [k for k, st in enumerate(trace.steps) if st.energies]
    assert tot[guided[0]] == pytest.approx(sum(trace.steps[guided[0]].energies.values()))
    assert np.isnan(tot[1])


def test_gradient_maps_are_zero_outside_their_masks(trace):
    st = trace.steps[0]
    for term in trace.terms:
        region = term_region(trace, term)
        g = gradient_map(st, term, size=trace.size)
        assert g.shape == (64, 64)
        assert np.all(g[~region] == 0)
        assert g[region].max() > 0
        lat = gradient_map(st, term)
        assert np.all(lat[~region_on_grid(region, (32, 32))] == 0)


def test_gradient_direction_is_signed_and_confined(trace):
    st = trace.steps[0]
    d = gradient_direction(st, "edit")
    region = region_on_grid(term_region(trace, "edit"), (32, 32))
    assert np.all(d[~region] == 0)
    assert d.min() < 0 < d.max()
    # a pure "add pattern p at A, remove it at B" update gives + at A and − at B
    g = np.zeros((4, 8, 8), np.float32)
    p = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
    g[:, 2, 2] = -p  # descent step −g = +p
    g[:, 5, 6] = p
    st.grad_latents["edit"] = g
    d = gradient_direction(st, "edit")
    assert d[2, 2] > 0 > d[5, 6]
    assert d[2, 2] == pytest.approx(np.linalg.norm(p), rel=1e-5)


def test_unguided_step_has_no_gradient(trace):
    with pytest.raises(ValueError, match="no recorded gradients"):
        gradient_map(trace.steps[1], "edit")
    with pytest.raises(KeyError, match="nope"):
        gradient_map(trace.steps[0], "nope")


def test_trace_features_keyed_by_layer_and_timestep(trace):
    cur = trace_features(trace, "current")
    ref = trace_features(trace, "reference")
    assert set(cur) == set(ref)
    assert ("up_blocks.2", 981) in cur and ("up_blocks.1", 901) in cur
    assert trace.steps[5].round == 1 and trace.steps[5].timestep == trace.steps[4].timestep
    assert cur[("up_blocks.1", trace.steps[4].timestep)] is trace.steps[4].features["up_blocks.1"]["current"]
    assert trace_features(trace, "current", rounds=(1,))[("up_blocks.1", trace.steps[5].timestep)] is \
        trace.steps[5].features["up_blocks.1"]["current"]
    with pytest.raises(ValueError, match="branch"):
        trace_features(trace, "edited")


def test_handle_tracks_follow_the_shift(trace):
    ks, tr = handle_tracks(trace)
    assert ks == [k for k, s in enumerate(trace.steps) if s.features]
    # current = reference rolled by (1 row, 2 cols) on the 32x32 grid: 2 px per cell
    (x0, y0), _ = trace.points[0]
    assert tuple(tr[0, 0]) == (x0 // 2 * 2 + 1 + 4, y0 // 2 * 2 + 1 + 2)


def test_attention_weights_are_a_softmax_over_tokens():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((4, 8)), rng.standard_normal((6, 8))
    w = attention_weights(q, k, heads=2, query_index=1)
    assert w.shape == (2, 6)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-6)
    logits = q[1, :4] @ k[:, :4].T / 2.0
    np.testing.assert_allclose(w[0], np.exp(logits) / np.exp(logits).sum(), rtol=1e-5)
    with pytest.raises(ValueError, match="heads"):
        attention_weights(q, k, heads=3, query_index=0)
    with pytest.raises(ValueError, match="query_index"):
        attention_weights(q, k, heads=2, query_index=4)


def test_query_attention_maps_token_groups(trace):
    rec = trace.steps[0].attention[BANK_LAYER]
    k = np.asarray(rec["k"]).copy()
    q = np.asarray(rec["q"]).copy()
    # make the query at cell (3, 5) attend sharply to bank token (7, 9)
    k[256 + 9 * 16 + 7] = q[5 * 16 + 3] * 4
    am = query_attention({**rec, "k": k}, point=(3 * 4 + 1, 5 * 4 + 1), image_size=(64, 64))
    assert am.maps.shape == (2, 16, 16)
    assert am.query_cell == (3, 5)
    assert am.weights.sum() == pytest.approx(1.0, abs=1e-5)
    g, r, c = np.unravel_index(np.argmax(am.maps), am.maps.shape)
    assert (g, r, c) == (1, 9, 7)


def test_applied_update_map_is_the_masked_sum_and_covers_every_term_region(trace):
    from inspect_synthetic import with_applied

    from dragon_widgets.inspect import gradient_label, gradient_terms

    light, both = with_applied(trace), with_applied(trace, per_term=True)
    assert gradient_terms(light) == ["applied"] and gradient_terms(trace) == trace.terms
    assert gradient_terms(both) == trace.terms + ["applied"]
    st = light.steps[0]
    total = sum(trace.steps[0].grad_latents.values())
    np.testing.assert_allclose(gradient_map(st, "applied"), np.abs(total).mean(0), rtol=1e-6)
    assert gradient_direction(st, "applied").shape == (32, 32)
    # a move's terms act in the edit region and in the rest: the update covers the whole image
    assert term_region(light, "applied").all()
    # a landmark edit has only the edit term: its update stays inside the edit region
    lm = dataclasses.replace(light, mode="landmark", terms=["edit"], regions={"edit": "edit"})
    np.testing.assert_array_equal(term_region(lm, "applied"), trace.masks["edit"])
    assert gradient_label("applied") == "|g| (applied update)" and gradient_label("edit") == "|∂E_edit/∂z|"
    with pytest.raises(ValueError, match="no recorded gradients"):
        gradient_map(light.steps[1], "applied")
