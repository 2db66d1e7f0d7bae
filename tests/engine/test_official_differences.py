"""Where the engine follows the official code mode by mode, and the geometry it documents where it does not
(docs/differences.md): the face/landmark start latent, time travel without energy, the step-0 drag reference,
and how Paste pairs the pasted object's cells with the reference's."""

import dataclasses

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.core.geometry import bbox, to_grid
from dragon_widgets.engine.sampler import GuidedSampler

SHAPESBENCH_MODES = ("move", "drag", "appearance", "paste")


@pytest.fixture
def captured(monkeypatch):
    """Run no sampling: record each edit's plan and starting latent instead."""
    runs = []

    def run(self, z):
        runs.append((self.plan, z.detach().clone()))
        return z

    monkeypatch.setattr(GuidedSampler, "run", run)
    return runs


@pytest.mark.parametrize("name", ["sd15", "embedded"])
def test_landmark_drags_start_from_the_inverted_noise_as_the_official_face_mode(name):
    preset = dw.get_preset(name)
    assert preset.mode("landmark").latent_copy is False
    assert preset.mode("drag").latent_copy is True  # content drags copy the handle's patch (official process_drag)


def test_a_landmark_drag_runs_from_the_unchanged_inverted_noise(tiny_editor, tiny_source, captured):
    points = [((60, 45), (90, 45)), ((150, 20), (140, 30))]
    tiny_editor.edit(tiny_source, dw.Drag(points=points, content=False))
    tiny_editor.edit(tiny_source, dw.Drag(points=points))
    (_, landmark_start), (_, drag_start) = captured
    z_T = tiny_source.bank.z_T.to(landmark_start)
    assert torch.equal(landmark_start, z_T)
    assert not torch.equal(drag_start, z_T)


def _unet_calls(pipe):
    calls = []
    hook = pipe.unet.register_forward_pre_hook(lambda mod, args: calls.append(1))
    return calls, hook


@pytest.mark.parametrize("no_energy", ["energy_scale=0", "no terms"])
def test_without_energy_there_is_no_time_travel(tiny_sd, tiny_source, scene_image, sd_preset, monkeypatch, no_energy):
    """Official: ``repeat = 1`` when energy_scale == 0 — one UNet call per step (50, not 58 with SD's schedule)."""
    preset = sd_preset.with_mode("move", energy_scale=0) if no_energy == "energy_scale=0" else sd_preset
    if no_energy == "no terms":
        plan = dw.Move.plan
        monkeypatch.setattr(dw.Move, "plan", lambda self, ctx: dataclasses.replace(plan(self, ctx), terms=[]))
    calls, hook = _unet_calls(tiny_sd)
    try:
        res = dw.DragonEditor(tiny_sd, preset=preset).edit(tiny_source, dw.Move(mask=scene_image[1], offset=(40, 10)),
                                                           record={"energies"})
    finally:
        hook.remove()
    assert len(calls) == sd_preset.num_steps  # one CFG call (batch 2) per step, no re-noise
    assert [s.round for s in res.trace.steps] == [0] * sd_preset.num_steps


def test_with_energy_time_travel_still_repeats_its_steps(tiny_sd, tiny_source, scene_image, sd_preset):
    res = dw.DragonEditor(tiny_sd, preset=sd_preset).edit(tiny_source, dw.Move(mask=scene_image[1], offset=(40, 10)),
                                                          record={"energies"})
    (step,) = sd_preset.time_travel_steps
    assert [s.round for s in res.trace.steps if s.index == step] == list(range(sd_preset.time_travel_rounds))


def _reference_latents(monkeypatch):
    """(step, latent) of every reference-feature pass (the ones run without gradient) and the start latent."""
    seen, starts = [], []
    features, run = GuidedSampler._features, GuidedSampler.run

    def spy_features(self, z, t, i):
        if not z.requires_grad:
            seen.append((i, z.detach().clone()))
        return features(self, z, t, i)

    def spy_run(self, z):
        starts.append(z.detach().clone().float())
        return run(self, z)

    monkeypatch.setattr(GuidedSampler, "_features", spy_features)
    monkeypatch.setattr(GuidedSampler, "run", spy_run)
    return seen, starts


@pytest.mark.parametrize("start_reference", [True, False])
def test_the_step0_drag_reference_switch(tiny_sd, tiny_source, scene_image, sd_preset, monkeypatch, start_reference):
    """``start_reference=True`` (sd15's drag, as the official in-place patch copy): step 0's reference features
    come from the patched starting latent; False (embedded): from the clean inversion. Later steps always use the
    inversion."""
    seen, starts = _reference_latents(monkeypatch)
    preset = sd_preset.with_mode("drag", start_reference=start_reference)
    dw.DragonEditor(tiny_sd, preset=preset).edit(tiny_source, dw.Drag(points=[((60, 45), (90, 45))], mask=scene_image[1]))
    bank = tiny_source.bank
    (start,) = starts
    by_step = dict(seen)
    assert sorted(by_step) == [i for i in range(sd_preset.num_steps) if i < sd_preset.guided_until
                               and (i < sd_preset.dense_until or i % 2 == 0)]
    assert not torch.equal(start, bank.z_T.to(start))  # the drag patch was copied
    expected0 = start if start_reference else bank.z_T.to(start)
    assert torch.equal(by_step[0].to(start), expected0)
    for i, z in by_step.items():
        if i:
            assert torch.equal(z, bank.guidance_latent(i).to(z))


@pytest.mark.slow  # four edits compared
def test_step0_reference_changes_the_result_only_with_a_copied_patch(tiny_sd, tiny_source, scene_image, sd_preset):
    drag = dw.Drag(points=[((60, 45), (90, 45))], mask=scene_image[1])
    out = {}
    for copy in (True, False):
        for start in (True, False):
            preset = sd_preset.with_mode("drag", latent_copy=copy, start_reference=start)
            out[copy, start] = dw.DragonEditor(tiny_sd, preset=preset).edit(tiny_source, drag, seed=0).work_image
    assert not np.array_equal(out[True, True], out[True, False])
    assert np.array_equal(out[False, True], out[False, False])


def test_preset_values_sd15_reproduces_the_official_drag_and_embedded_keeps_its_tuned_behaviour():
    assert dw.get_preset("sd15").mode("drag").start_reference is True
    embedded = dw.get_preset("embedded")
    for mode in SHAPESBENCH_MODES:  # the ShapesBench modes run as before
        assert embedded.mode(mode).start_reference is False
        assert embedded.mode(mode).latent_copy is True
    for name in ("sd15", "embedded"):
        for mode in ("move", "landmark", "appearance", "paste"):
            assert dw.get_preset(name).mode(mode).start_reference is False


def test_old_preset_dicts_without_the_new_field_still_load():
    d = dw.get_preset("sd15").to_dict()
    for m in d["modes"].values():
        del m["start_reference"]
    assert dw.Preset.from_dict(d).mode("drag").start_reference is False


# ----- paste geometry ----------------------------------------------------------------------------------------
def _work_box(source, scene_mask):
    """The object's box in working pixels (the scene's object is an axis-aligned rectangle)."""
    (w0, h0), (w, h) = source.size, source.work_size
    x0, y0, x1, y1 = bbox(scene_mask)
    return x0 * w / w0, y0 * h / h0, x1 * w / w0, y1 * h / h0


@pytest.mark.parametrize("scale", [1.0, 0.5])
def test_paste_places_the_reference_object_and_pairs_each_cell_with_the_same_cell_of_the_placed_reference(
        tiny_editor, tiny_source, scene_image, captured, scale):
    """The documented paste geometry: the reference image is scaled by ``scale`` about the *object's* centre and
    moved by ``offset``, then inverted; every pasted cell of the current latent pairs with the same cell of that
    inversion (the official code pairs it with the un-moved reference's cell, offset cells away), the starting
    latent takes the placed reference's noise inside the pasted region, and the bank uses its tokens there."""
    img, m = scene_image
    offset = (50, 25)  # input px → (48, 16) working px: 12 × 4 guidance cells, 6 × 2 latent cells
    tiny_editor.edit(tiny_source, dw.Paste(reference=img, reference_mask=m, offset=offset, scale=scale))
    ((plan, start),) = captured
    (w0, h0), (w, h) = tiny_source.size, tiny_source.work_size
    dx, dy = offset[0] * w / w0, offset[1] * h / h0
    x0, y0, x1, y1 = _work_box(tiny_source, m)
    cx, cy = (x0 + x1) / 2 + dx, (y0 + y1) / 2 + dy  # object centre, moved
    target = plan.masks["target"]
    tx0, ty0, tx1, ty1 = bbox(target)
    assert abs((tx0 + tx1) / 2 - cx) <= 1 and abs((ty0 + ty1) / 2 - cy) <= 1
    assert abs((tx1 - tx0) - scale * (x1 - x0)) <= 1.5 and abs((ty1 - ty0) - scale * (y1 - y0)) <= 1.5
    # the inverted reference shows the object (red) where it is pasted, and the background where it was
    ref = plan.references["reference"].work_image.astype(int)
    red = (ref[..., 0] > 180) & (ref[..., 1] < 90)
    assert red[target].mean() > 0.9
    old = np.zeros_like(target)
    old[int(np.ceil(y0)):int(y1), int(np.ceil(x0)):int(x1)] = True
    assert red[old & ~target].mean() < 0.1
    # the edit energy pairs cell k of the current features with cell k of the placed reference's
    (edit,) = [t for t in plan.terms if t.name == "edit"]
    assert edit.ref == "reference"
    grid = (w // 4, h // 4)
    ((dst, src),) = edit.groups
    cells = np.flatnonzero(to_grid(target, grid))
    assert np.array_equal(dst.cpu().numpy(), cells) and np.array_equal(src.cpu().numpy(), cells)
    # starting latent: the placed reference's inverted noise inside the pasted region, the source's elsewhere
    lat = to_grid(target, (w // 8, h // 8))
    z_ref = plan.references["reference"].bank.z_T.to(start)
    z_src = tiny_source.bank.z_T.to(start)
    inside = torch.from_numpy(lat)
    assert torch.equal(start[..., inside], z_ref[..., inside])
    assert torch.equal(start[..., ~inside], z_src[..., ~inside])
    # memory bank: base tokens outside the pasted region, the placed reference's tokens inside it
    assert np.array_equal(plan.ref_keep, target) and np.array_equal(plan.base_keep, ~target)


# ----- row 5b: which image tokens reach which branch (appearance, paste) -------------------------------------------
def _edit_with_a_reference(mode: str, reference, ref_mask, mask):
    if mode == "appearance":
        return dw.ReplaceAppearance(mask=mask, reference=reference, reference_mask=ref_mask)
    return dw.Paste(reference=reference, reference_mask=ref_mask)  # in place: the inverted reference is used as is


def _adapter_tokens(pipe, image: np.ndarray) -> torch.Tensor:
    """(2, 1, 64, D): the adapter's tokens of [the zero image, ``image``], as the editor builds them."""
    from dragon_widgets.engine.image_prompt import prompt_image

    embeds = pipe.prepare_ip_adapter_image_embeds(prompt_image(pipe, image), None, pipe.unet.device, 1, True)
    with torch.no_grad():
        (tokens,) = pipe.unet.encoder_hid_proj(embeds)
    return tokens


@pytest.fixture(scope="module")
def reference_setup(official_pipe, sd_preset, scene_image):
    """An editor on the pipe with the official adapter, the base image inverted, and a reference (the scene
    mirrored) inverted at the same working size, so the edits below run no inversion of their own."""
    img, m = scene_image
    ed = dw.DragonEditor(official_pipe, preset=sd_preset)
    reference, ref_mask = img[:, ::-1].copy(), m[:, ::-1].copy()
    return ed, ed.invert(img, prompt="a red square"), ed.invert(reference, prompt="a red square"), ref_mask


def _cross_attentions(pipe):
    return [mod for name, mod in pipe.unet.named_modules() if name.endswith("attn2")]


@pytest.mark.parametrize("mode", ["appearance", "paste"])
def test_row_5b_text_attention_sees_only_text_and_the_image_branch_only_the_reference(official_pipe, reference_setup,
                                                                                       scene_image, mode):
    """Ours: at every cross-attention call of the edit the text K/V get the prompt's tokens only, and the image
    branch gets the adapter's 64 tokens of the reference image (the zero image in the unconditional half). The
    base image's tokens reach neither branch (the official code sends them through the text K/V: bug #12)."""
    ed, src, ref, ref_mask = reference_setup
    edit = _edit_with_a_reference(mode, ref, ref_mask, scene_image[1])
    text_len = official_pipe.tokenizer.model_max_length
    ref_tokens = _adapter_tokens(official_pipe, np.asarray(ref.image))
    base_tokens = _adapter_tokens(official_pipe, src.work_image)
    assert ref_tokens.shape[-2] == 64 and not torch.allclose(ref_tokens[1], base_tokens[1], atol=1e-3)
    calls = []

    def record(mod, args, kwargs):
        text, (ip,) = kwargs["encoder_hidden_states"]
        calls.append((text.shape, ip.detach().clone()))

    hooks = [a.register_forward_pre_hook(record, with_kwargs=True) for a in _cross_attentions(official_pipe)]
    try:
        ed.edit(src, edit, seed=0)
    finally:
        for h in hooks:
            h.remove()
    assert {shape[0] for shape, _ in calls} == {1, 2}  # guidance passes and CFG passes
    for shape, ip in calls:
        assert shape[1] == text_len
        assert torch.allclose(ip, ref_tokens[-shape[0]:], atol=1e-6)


@pytest.mark.parametrize("mode", ["appearance", "paste"])
def test_row_5b_the_official_token_layout_changes_every_step_not_only_the_image_prompt_window(
        official_pipe, reference_setup, scene_image, sd_preset, mode):
    """The official layout, emulated: the base image's 64 tokens appended to the text tokens of every sampling call
    (the official guidance estimator sees text only, as our guidance passes). For the same input it changes ε at
    every step, also outside the image-prompt window where the adapter's scale is 0, and so the result."""
    ed, src, ref, ref_mask = reference_setup
    edit = _edit_with_a_reference(mode, ref, ref_mask, scene_image[1])
    base = _adapter_tokens(official_pipe, src.work_image)
    state = {"official": False, "inner": False}
    step = {int(t): i for i, t in enumerate(src.bank.timesteps)}
    rel = {}

    def official_layout(mod, args, kwargs):
        text, ip = kwargs["encoder_hidden_states"]
        if state["official"] and text.shape[0] == 2:
            tokens = base.reshape(2, -1, text.shape[-1]).to(text)
            return args, {**kwargs, "encoder_hidden_states": (torch.cat([text, tokens], 1), ip)}
        return None

    def compare(mod, args, kwargs, out):
        if state["inner"] or state["official"] or args[0].shape[0] != 2:
            return
        state["official"] = state["inner"] = True
        try:
            with torch.no_grad():
                other = mod(*args, **kwargs).sample
        finally:
            state["official"] = state["inner"] = False
        ours = out.sample.detach()
        rel.setdefault(step[int(args[1])], []).append(float((other - ours).norm() / ours.norm()))

    hooks = [a.register_forward_pre_hook(official_layout, with_kwargs=True) for a in _cross_attentions(official_pipe)]
    hooks.append(official_pipe.unet.register_forward_hook(compare, with_kwargs=True))
    try:
        ours = ed.edit(src, edit, seed=0).work_image
        state["official"] = True
        official = ed.edit(src, edit, seed=0).work_image
    finally:
        state["official"] = False
        for h in hooks:
            h.remove()
    lo, hi = sd_preset.ip_window
    assert sorted(rel) == list(range(sd_preset.num_steps)) and lo > 0  # step 0 lies outside the window
    assert min(min(v) for v in rel.values()) > 0.05
    assert not np.array_equal(ours, official)
