"""The trace's "applied" record: the update the sampler applied on each guided pass, kept as the pseudo-term
"applied" at no extra cost (the editor app's default trace), next to or without the per-term gradients."""

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.trace import APPLIED, RECORDABLE, EditTrace, TraceRecorder, record_flags


class UpdateSpy:
    """Keeps the applied update (StepEvent.gradient) of every guided edit pass, keyed by (index, round)."""

    needs = frozenset()

    def __init__(self):
        self.updates = {}
        self.unguided = []

    def __call__(self, ev):
        if ev.phase != "edit":
            return
        if ev.guided:
            self.updates[(ev.index, ev.round)] = ev.gradient[0].detach().float().cpu().clone()
        else:
            self.unguided.append((ev.index, ev.round))


@pytest.fixture(scope="module")
def embedded():
    """The embedded model's architecture (random weights) on 8 steps, with one time-travel step."""
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    preset = dw.get_preset("embedded").replace(name="test-fast", num_steps=8, guided_until=5, dense_until=2,
                                               time_travel_steps=(3,), time_travel_rounds=2, sde_window=(2, 4),
                                               ip_window=(2, 4))
    editor = dw.DragonEditor(random_embedded_pipeline(0), preset=preset)
    from dragon_widgets.widgets._scene import builtin_scene, builtin_shape_masks

    img, caption = builtin_scene()
    src = editor.invert(np.asarray(img), prompt=caption)
    yield editor, src, builtin_shape_masks()[0]
    torch.set_num_threads(threads)


def test_applied_is_a_recordable_name_and_record_true_includes_it():
    assert "applied" in RECORDABLE and APPLIED == "applied"
    assert "applied" in record_flags(True)
    assert record_flags({"energies", "applied"}) == {"energies", "applied"}


def test_a_light_trace_keeps_the_applied_update_of_every_guided_pass_and_nothing_else(embedded):
    editor, src, m = embedded
    spy = UpdateSpy()
    res = editor.edit(src, dw.Move(mask=m, offset=(6, 4)), seed=0, record={"energies", "previews", "applied"},
                      observers=[spy])
    steps = res.trace.steps
    guided = [s for s in steps if s.guided]
    assert len(guided) >= 2 and {(s.index, s.round) for s in guided} == set(spy.updates)
    for s in guided:
        assert list(s.grads) == [APPLIED] and list(s.grad_latents) == [APPLIED]  # no per-term maps
        want = spy.updates[(s.index, s.round)].numpy()
        np.testing.assert_array_equal(s.grad_latents[APPLIED], want)
        np.testing.assert_allclose(s.grads[APPLIED], np.abs(want).mean(0), rtol=1e-6)
        assert s.grads[APPLIED].shape == tuple(reversed(res.trace.latent_size))
        assert s.grads[APPLIED].max() > 0
    unguided = [s for s in steps if not s.guided]
    assert unguided and len(unguided) == len(spy.unguided)
    assert not any(s.grads or s.grad_latents for s in unguided)


@pytest.mark.slow  # more full edits with recording
def test_with_per_term_gradients_the_applied_map_is_their_sum(embedded):
    editor, src, m = embedded
    res = editor.edit(src, dw.Drag(points=[((20, 20), (28, 24))], mask=m), seed=0, record={"applied", "gradients"})
    guided = res.trace.guided_steps()
    assert guided
    for s in guided:
        terms = [t for t in s.grad_latents if t != APPLIED]
        assert terms and set(terms) <= set(res.trace.terms) and APPLIED in s.grads
        total = sum(s.grad_latents[t] for t in terms)
        np.testing.assert_allclose(s.grad_latents[APPLIED], total, rtol=1e-4, atol=1e-6 * np.abs(total).max())


@pytest.mark.slow  # more full edits with recording
def test_without_applied_no_update_is_kept(embedded):
    editor, src, m = embedded
    res = editor.edit(src, dw.Move(mask=m, offset=(6, 4)), seed=0, record={"energies", "gradients"})
    assert all(s.grads and APPLIED not in s.grads for s in res.trace.guided_steps())


def test_a_term_named_like_the_update_is_refused():
    trace = EditTrace(size=(8, 8), latent_size=(2, 2), layers=[], bank_layers=[], terms=["edit", "applied"],
                      masks={}, points=[], mode="move", record=frozenset({"applied"}))
    with pytest.raises(ValueError, match="named 'applied'"):
        TraceRecorder(trace)
