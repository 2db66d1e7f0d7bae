"""The step-event channel: every loop emits StepEvents; progress, previews, trace and cancel are observers of it;
observing never changes the result."""

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.observers import StepChannel, StepEvent


class Spy:
    """Keeps (phase, index, round, rounds, guided, step, total, timestep) of each event, and the last latent."""

    def __init__(self, needs=()):
        self.needs = frozenset(needs)
        self.events = []
        self.latent = None
        self.term_sums = []  # (Σ term gradients, the update) of each guided event

    def __call__(self, ev):
        self.events.append((ev.phase, ev.index, ev.round, ev.rounds, ev.guided, ev.step, ev.total, ev.timestep))
        self.latent = ev.latent.detach().clone()
        if ev.guided and ev.term_gradients:
            self.term_sums.append((sum(ev.term_gradients.values()), ev.gradient))


def _passes(preset, energy=True):
    """Expected (index, round) of the edit loop's passes under ``preset`` (time travel only with energy)."""
    out = []
    for i in range(preset.num_steps):
        rounds = preset.time_travel_rounds if energy and i in preset.time_travel_steps else 1
        out += [(i, r) for r in range(rounds)]
    return out


@pytest.mark.parametrize("kind", ["move", "drag"])
def test_recording_a_trace_gives_the_same_edit_as_not_recording(tiny_editor, tiny_source, scene_image, kind):
    """The update is grouped by region whether or not a trace records per-term gradients (it used to switch to
    one gradient per term when recording, which changed the floating-point sums and so the image)."""
    img, m = scene_image
    edit = dw.Move(mask=m, offset=(40, 10)) if kind == "move" else dw.Drag(points=[((60, 45), (90, 50))], mask=m)
    plain_spy, traced_spy = Spy(), Spy()
    plain = tiny_editor.edit(tiny_source, edit, seed=0, observers=[plain_spy])
    traced = tiny_editor.edit(tiny_source, edit, seed=0, record=True, observers=[traced_spy])
    assert traced.trace.guided_steps() and traced.trace.guided_steps()[0].grads  # per-term gradients recorded
    # before the fix the final latents differed by ~2e-5 on this model (the images by less than one grey level)
    torch.testing.assert_close(traced_spy.latent, plain_spy.latent, rtol=0, atol=1e-7)
    assert np.array_equal(traced.work_image, plain.work_image)


def test_per_term_gradients_are_extra_and_add_up_to_the_update(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    spy = Spy(needs={"gradients"})
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=0, observers=[spy])
    assert spy.term_sums
    for total, update in spy.term_sums:
        torch.testing.assert_close(total, update, rtol=1e-4, atol=1e-6)
    blind = Spy()  # asks for nothing: the loop computes no per-term gradients for it
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=0, observers=[blind])
    assert blind.term_sums == []


def test_every_loop_emits_its_phase_to_the_same_observers(tiny_editor, tiny_source, scene_image, sd_preset):
    img, m = scene_image
    n = sd_preset.num_steps
    spy = Spy()
    tiny_editor.inversions.clear()  # tiny_source is this inversion: it would be reused without a step
    src = tiny_editor.invert(img, prompt="a red square", observers=[spy])
    tiny_editor.reconstruct(src, observers=[spy])
    tiny_editor.generate("a red circle", seed=1, size=(64, 64), observers=[spy])
    tiny_editor.edit(src, dw.Move(mask=m, offset=(40, 10)), observers=[spy])
    by_phase = {}
    for e in spy.events:
        by_phase.setdefault(e[0], []).append(e)
    assert list(by_phase) == ["invert", "reconstruct", "generate", "edit"]
    timesteps = src.bank.timesteps
    for phase in ("invert", "reconstruct", "generate"):
        evs = by_phase[phase]
        assert [e[1] for e in evs] == list(range(n)) and {e[6] for e in evs} == {n}
        assert [e[7] for e in evs] == (timesteps[::-1] if phase == "invert" else timesteps)
    edit = by_phase["edit"]
    assert [(e[1], e[2]) for e in edit] == _passes(sd_preset)  # one event per pass, time travel included
    assert all(e[3] == sd_preset.time_travel_rounds for e in edit if e[1] in sd_preset.time_travel_steps)
    assert [e[4] for e in edit if e[2] == 0] == [i < sd_preset.guided_until and (i < sd_preset.dense_until or i % 2 == 0)
                                                 for i in range(n)]


def test_x0_is_decoded_only_when_an_observer_asks_and_once_per_event(tiny_sd, sd_preset, tiny_source, scene_image,
                                                                     monkeypatch):
    img, m = scene_image
    editor = dw.DragonEditor(tiny_sd, preset=sd_preset)
    calls = []
    decode = editor.decode
    monkeypatch.setattr(editor, "decode", lambda z: calls.append(1) or decode(z))
    edit = dw.Move(mask=m, offset=(40, 10))
    editor.edit(tiny_source, edit, observers=[Spy()])
    assert len(calls) == 1  # the result only: events carry x̂₀ lazily
    calls.clear()
    shown = []
    previews = dw.PreviewObserver(every=3, callback=lambda im, ev: shown.append((ev.step, im)))
    res = editor.edit(tiny_source, edit, observers=[previews], record={"previews"})
    n = sd_preset.num_steps
    assert [s for s, _ in shown] == [s for s in range(1, n + 1) if s == 1 or s % 3 == 0 or s == n]  # first at once
    assert {im.size for _, im in shown} == {res.work_image.shape[1::-1]}  # working size unless a size is given
    # the trace decodes every pass; the previews reuse those images instead of decoding again
    assert len(calls) == len(_passes(sd_preset)) + 1
    assert np.array_equal(np.asarray(shown[-1][1]), res.trace.steps[-1].x0)


def test_generate_and_reconstruct_events_offer_x0_but_inversion_has_none(tiny_editor, tiny_source):
    got = {}

    def grab(ev):
        if ev.last_round and ev.step == ev.total:
            got[ev.phase] = (ev.x0(), ev.image(), ev.latent)

    rec = tiny_editor.reconstruct(tiny_source, observers=[grab])
    tiny_editor.invert(tiny_source.work_image, prompt="a red square", observers=[grab])
    assert got["invert"][0] is None and got["invert"][1] is None
    x0, image, latent = got["reconstruct"]
    assert x0.shape == latent.shape and image.shape == rec.shape
    # the last DDIM step lands (almost: ᾱ_prev = ᾱ_0 ≈ 1) on x̂₀
    assert float((x0 - latent).abs().max()) < 0.1 and np.abs(image.astype(int) - rec).mean() < 2


def test_on_step_keeps_its_contract_in_every_phase(tiny_editor, tiny_source, scene_image, sd_preset):
    img, m = scene_image
    n = sd_preset.num_steps
    for run in (lambda cb: (tiny_editor.inversions.clear(), tiny_editor.invert(img, on_step=cb)),  # not reused
                lambda cb: tiny_editor.reconstruct(tiny_source, on_step=cb),
                lambda cb: tiny_editor.generate("x", size=(64, 64), on_step=cb)):
        calls = []
        run(lambda s, t, p: calls.append((s, t, p)))
        assert calls == [(s, n, None) for s in range(1, n + 1)]  # previews are an edit feature
        with pytest.raises(dw.EditCancelled, match="cancelled by on_step"):
            run(lambda s, t, p: s < 2)


def test_cancel_from_an_observer_stops_the_step_it_sees_and_the_editor_stays_usable(tiny_editor, tiny_source,
                                                                                    scene_image):
    img, m = scene_image
    seen = []

    def observer(ev):
        seen.append(ev.index)
        if ev.index == 2:
            tiny_editor.cancel()

    for run in (lambda: tiny_editor.invert(img, observers=[observer]),
                lambda: tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), observers=[observer])):
        seen.clear()
        with pytest.raises(dw.EditCancelled, match="was cancelled"):
            run()
        assert seen == [0, 1, 2]  # the cancel token runs after the observers too
    res = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))
    assert res.image.size == img.shape[1::-1]


def test_the_cancel_token_is_an_observer():
    token = dw.CancelToken()
    ev = StepEvent(phase="generate", index=0, total=3, timestep=999, latent=torch.zeros(1))
    StepChannel([token]).emit(ev)
    token.cancel()
    with pytest.raises(dw.EditCancelled, match="the generate was cancelled"):
        StepChannel([token]).emit(ev)
    token.clear()
    assert not token.cancelled


def test_bad_observers_are_refused_naming_the_argument(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    with pytest.raises(TypeError, match="observers must be"):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(1, 0)), observers=[3])
    with pytest.raises(TypeError, match="observers must be"):
        tiny_editor.invert(img, observers=5)
    bad = Spy(needs={"gradients", "weather"})
    with pytest.raises(ValueError, match=r"needs unknown data \['weather'\]"):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(1, 0)), observers=[bad])
    with pytest.raises(ValueError, match="phase must be one of"):
        StepEvent(phase="train", index=0, total=1, timestep=0, latent=torch.zeros(1))
    with pytest.raises(ValueError, match="every must be"):
        dw.PreviewObserver(every=0)
    with pytest.raises(TypeError, match="on_step must be"):
        dw.ProgressObserver(on_step=None)


def test_a_reference_inversion_inside_an_edit_reaches_the_observers_as_invert_events(tiny_editor, tiny_source,
                                                                                      scene_image, sd_preset):
    img, m = scene_image
    spy = Spy()
    edit = dw.Paste(reference=img, reference_mask=m, offset=(60, 0))
    res = tiny_editor.edit(tiny_source, edit, observers=[spy], record={"energies"})
    phases = [e[0] for e in spy.events]
    n = sd_preset.num_steps
    assert phases == ["invert"] * n + ["edit"] * len(_passes(sd_preset))
    assert len(res.trace.steps) == len(_passes(sd_preset))  # the trace records the edit's passes only
