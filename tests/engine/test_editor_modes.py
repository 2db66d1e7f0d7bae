"""End to end: every mode on a randomly initialised tiny model with SD's classes and block layout,
loaded from disk through dw.load_pipeline, on a non-square image."""

import numpy as np
import pytest
import torch

import dragon_widgets as dw


def test_inversion_fills_the_memory_bank(tiny_editor, tiny_source, sd_preset):
    bank = tiny_source.bank
    assert bank.num_steps == sd_preset.num_steps
    assert len(bank.latents) == sd_preset.num_steps + 1
    assert len(bank.layers) == 6  # up_blocks 1–3 × 2 self-attention layers (SD has 3 per block)
    assert all(n.startswith(("up_blocks.1.", "up_blocks.2.", "up_blocks.3.")) for n in bank.layers)
    assert tiny_source.work_size == (192, 64)  # 200×100 at area 128², multiples of 64
    z = bank.latents[0]
    assert z.shape == (1, 4, 8, 24)
    for layer in bank.layers:
        per_t = bank.kv[layer]
        assert sorted(per_t) == sorted(bank.timesteps)
        h, w = bank.token_grids[layer]
        k, v = next(iter(per_t.values()))
        assert k.shape[1] == h * w and k.shape == v.shape and h * 3 == w
    assert bank.nbytes > 0 and "MiB" in repr(bank)


@pytest.mark.parametrize("make", [
    lambda m, img: dw.Move(mask=m, offset=(40, 10)),
    lambda m, img: dw.Move(mask=m, offset=(10, 0), scale=1.3),
    lambda m, img: dw.Drag(points=[((60, 45), (90, 50)), ((150, 20), (140, 30))], mask=np.pad(np.ones((60, 150), bool), ((20, 20), (25, 25)))),
    lambda m, img: dw.Drag(points=[((60, 45), (90, 50))], content=False),
    lambda m, img: dw.ReplaceAppearance(mask=m, reference=img[:, ::-1].copy(), reference_mask=m[:, ::-1].copy()),
    lambda m, img: dw.Paste(reference=img, reference_mask=m, offset=(80, 5), scale=0.8),
], ids=["move", "resize", "drag", "landmark", "appearance", "paste"])
def test_every_mode_runs_and_returns_an_image_of_the_input_size(tiny_editor, tiny_source, scene_image, make):
    img, m = scene_image
    edit = make(m, img)
    res = tiny_editor.edit(tiny_source, edit, seed=0)
    assert res.image.size == (200, 100)
    out = np.asarray(res.image)
    assert np.isfinite(out).all() and out.std() > 0
    assert set(res.timings) >= {"invert", "edit", "total"}
    # processors restored
    assert not any(type(p).__name__ == "BankAttnProcessor" for p in tiny_editor.pipe.unet.attn_processors.values())


def test_same_seed_same_result_and_seed_matters(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    edit = dw.Move(mask=m, offset=(40, 10))
    a = np.asarray(tiny_editor.edit(tiny_source, edit, seed=3).image)
    b = np.asarray(tiny_editor.edit(tiny_source, edit, seed=3).image)
    c = np.asarray(tiny_editor.edit(tiny_source, edit, seed=4).image)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)  # the regional SDE draws noise from the seed


def test_user_edit_objects_are_not_mutated(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    edit = dw.Move(mask=m.astype(np.uint8) * 255, offset=[40, 10])
    tiny_editor.edit(tiny_source, edit, seed=0)
    assert edit.mask.dtype == np.uint8 and edit.offset == [40, 10]


def test_generate_is_editable_without_inversion(tiny_editor):
    gen = tiny_editor.generate("a red circle on a gray background", seed=1, size=(128, 128))
    assert gen.image.size == (128, 128) and len(gen.bank.latents) == tiny_editor.preset.num_steps + 1
    again = tiny_editor.generate("a red circle on a gray background", seed=1, size=(128, 128))
    assert np.array_equal(np.asarray(gen.image), np.asarray(again.image))
    m = np.zeros((128, 128), bool)
    m[40:70, 40:70] = True
    res = tiny_editor.edit(gen, dw.Move(mask=m, offset=(20, 0)), seed=0)
    assert res.image.size == (128, 128)


def test_on_step_reports_progress_with_previews_and_can_cancel(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    calls = []

    def on_step(step, total, preview):
        calls.append((step, total, preview))

    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=on_step)
    n = tiny_editor.preset.num_steps
    assert [c[0] for c in calls] == list(range(1, n + 1)) and all(c[1] == n for c in calls)
    previews = [c[2] for c in calls if c[2] is not None]
    assert previews and previews[0].size == (200, 100)

    with pytest.raises(dw.EditCancelled):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=lambda s, t, p: s < 3)
    # the editor is reusable, processors restored
    assert not any(type(p).__name__ == "BankAttnProcessor" for p in tiny_editor.pipe.unet.attn_processors.values())
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))


def test_on_reference_step_follows_the_reference_inversion_and_can_cancel_it(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    ref_calls, edit_calls = [], []
    edit = dw.ReplaceAppearance(mask=m, reference=img[:, ::-1].copy(), reference_mask=m[:, ::-1].copy())
    tiny_editor.inversions.clear()  # an earlier test may have inverted this reference: it would be reused
    res = tiny_editor.edit(tiny_source, edit, on_step=lambda s, t, p: edit_calls.append(s),
                           on_reference_step=lambda s, t, p: ref_calls.append((s, t, p, len(edit_calls))))
    n = tiny_editor.preset.num_steps
    assert [c[0] for c in ref_calls] == list(range(1, n + 1)) and all(c[1] == n and c[2] is None for c in ref_calls)
    assert all(c[3] == 0 for c in ref_calls)  # before the first sampler step
    assert res.timings["invert"] > tiny_source.timings["invert"]  # the reference's inversion is counted
    tiny_editor.inversions.clear()  # else the reference's inversion is reused: nothing to cancel
    with pytest.raises(dw.EditCancelled):
        tiny_editor.edit(tiny_source, edit, on_reference_step=lambda s, t, p: s < 2)
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))  # usable again


def test_cancel_from_another_thread_stops_the_run(tiny_editor, tiny_source, scene_image):
    img, m = scene_image

    def on_step(step, total, preview):
        if step == 2:
            tiny_editor.cancel()

    with pytest.raises(dw.EditCancelled):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), on_step=on_step)
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))  # next run is not cancelled


def test_recording_off_costs_nothing_and_on_records_everything(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    edit = dw.Move(mask=m, offset=(40, 10))
    assert tiny_editor.edit(tiny_source, edit).trace is None
    res = tiny_editor.edit(tiny_source, edit, record=True)
    tr = res.trace
    p = tiny_editor.preset
    assert tr.terms == ["edit", "content", "contrast", "inpaint"]
    assert tr.regions == {"edit": "edit", "content": "rest", "contrast": "rest", "inpaint": "rest"}
    guided = tr.guided_steps()
    expected = [i for i in range(p.num_steps) if i < p.guided_until and (i < p.dense_until or i % 2 == 0)]
    rounds = {i: (p.time_travel_rounds if i in p.time_travel_steps else 1) for i in expected}
    assert [s.index for s in guided] == [i for i in expected for _ in range(rounds[i])]
    s = guided[0]
    assert set(s.energies) == set(tr.terms) and all(np.isfinite(v) for v in s.energies.values())
    lat = tr.latent_size
    m_edit = tr.masks["edit"]
    from dragon_widgets.core.geometry import to_grid

    region = to_grid(m_edit, lat)
    assert set(s.grads) == set(tr.terms) | {"applied"}  # every term's map and the update applied (their sum)
    assert s.grads["applied"][region].max() > 0 and s.grads["applied"][~region].max() > 0
    for term in tr.terms:
        g = s.grads[term]
        assert g.shape == (lat[1], lat[0])
        if term == "edit":
            assert g[~region].max() == 0 and g[region].max() > 0
        else:
            assert g[region].max() == 0
    assert s.x0.shape == (64, 192, 3)
    assert set(s.features) == {"up_blocks.1", "up_blocks.2"}
    # stored at each block's own resolution (the guidance grid is their nearest upsampling): up_blocks.2 = latent
    assert s.features["up_blocks.2"]["current"].shape[1:] == (8, 24) and s.features["up_blocks.1"]["current"].shape[1:] == (4, 12)
    rounds_of_one_step = [st for st in guided if st.index == p.time_travel_steps[0]]
    assert len(rounds_of_one_step) == p.time_travel_rounds  # the rounds share one copy of the reference features
    ref0 = rounds_of_one_step[0].features["up_blocks.1"]["reference"]
    assert all(st.features["up_blocks.1"]["reference"] is ref0 for st in rounds_of_one_step)
    att = [st for st in tr.steps if st.attention]
    assert att and all(a["q"].ndim == 2 for a in att[-1].attention.values())
    assert tr.original.shape == tr.result.shape == (64, 192, 3)


def test_record_subset_and_bad_record_values(tiny_editor, tiny_source, scene_image):
    img, m = scene_image
    res = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), record={"energies"})
    s = res.trace.guided_steps()[0]
    assert s.energies and not s.grads and s.x0 is None and not s.features
    with pytest.raises(ValueError, match="record has unknown entries"):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), record={"everything"})


def test_nan_guidance_stops_with_an_error_not_a_black_image(tiny_editor, tiny_source, scene_image, monkeypatch):
    img, m = scene_image
    from dragon_widgets.engine import energy

    monkeypatch.setattr(energy.SimilarityTerm, "energy", lambda self, cur, refs, beta: cur[0].sum() * float("nan"))
    with pytest.raises(dw.GuidanceError, match="NaN"):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))
    monkeypatch.undo()
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))


def test_dragondiffusion_schedule_is_an_option(tiny_sd, tiny_source, scene_image, sd_preset):
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset.replace(schedule="dragondiffusion"))
    img, m = scene_image
    res = ed.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), record={"energies"})
    idx = [s.index for s in res.trace.guided_steps()]
    assert idx == list(range(sd_preset.guided_until))  # every step, no time travel


def test_reconstruct_and_inversion_refinement_are_wired_through_the_preset(tiny_sd, sd_preset, scene_image):
    img = scene_image[0]
    calls = []
    hook = tiny_sd.unet.register_forward_hook(lambda *a: calls.append(1))
    try:
        z_T, counts = [], []
        for refine in (0, 2):
            ed = dw.DragonEditor(tiny_sd, preset=sd_preset.replace(inversion_refine=refine))
            calls.clear()
            src = ed.invert(img)
            counts.append(len(calls))
            z_T.append(src.bank.z_T)
            assert len(src.bank.latents) == sd_preset.num_steps + 1
        assert counts == [sd_preset.num_steps, 3 * sd_preset.num_steps]
        assert not torch.allclose(z_T[0], z_T[1])
        calls.clear()
        rec = ed.reconstruct(src)
        assert len(calls) == sd_preset.num_steps
        assert rec.shape == src.work_image.shape and rec.dtype == np.uint8
    finally:
        hook.remove()
    with pytest.raises(TypeError, match="source"):
        ed.reconstruct(img)


def test_latent_copy_off_starts_from_the_inverted_noise_unchanged(tiny_sd, tiny_source, scene_image, sd_preset,
                                                                  monkeypatch):
    from dragon_widgets.engine.sampler import GuidedSampler

    starts = []
    monkeypatch.setattr(GuidedSampler, "run", lambda self, z: starts.append(z.clone()) or z)
    drag = dw.Drag(points=[((60, 45), (90, 45))], mask=scene_image[1])
    for copy in (True, False):
        ed = dw.DragonEditor(tiny_sd, preset=sd_preset.with_mode("drag", latent_copy=copy))
        ed.edit(tiny_source, drag)
    z_T = tiny_source.bank.z_T
    assert not torch.equal(starts[0], z_T)  # the handle's patch is copied to the target
    assert torch.equal(starts[1], z_T)
