"""The inversion cache: a repeated edit of the same image never inverts again, within bounded memory, and a
changed model, prompt or inversion setting inverts afresh."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.inversion_cache import (EDIT_ONLY_FIELDS, INVERSION_FIELDS, InversionCache, cache_for,
                                                   inversion_key)
from dragon_widgets.engine.presets import Preset


class _Counter:
    """Counts the UNet's forward passes."""

    def __init__(self, unet):
        self.n = 0
        self._hook = unet.register_forward_hook(self._count)

    def _count(self, *_a):
        self.n += 1

    def remove(self):
        self._hook.remove()


def test_the_two_field_lists_cover_the_preset_exactly():
    fields = {f.name for f in dataclasses.fields(Preset)}
    assert set(INVERSION_FIELDS) | set(EDIT_ONLY_FIELDS) == fields
    assert not set(INVERSION_FIELDS) & set(EDIT_ONLY_FIELDS)


def test_a_repeated_inversion_is_reused_without_a_unet_pass(tiny_sd, sd_preset, scene_image):
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset, inversions=InversionCache())
    img, m = scene_image
    first = ed.invert(img, prompt="a red square")
    assert not first.reused and first.timings["invert"] > 0 and len(ed.inversions) == 1
    count = _Counter(tiny_sd.unet)
    try:
        again = ed.invert(img.copy(), prompt="a red square")  # an equal array, not the same object
    finally:
        count.remove()
    assert count.n == 0 and again.reused and again.timings == {"invert": 0.0}
    assert again.bank is first.bank and again.work_image is first.work_image
    edit = dw.Move(mask=m, offset=(40, 10))
    assert np.array_equal(ed.edit(first, edit).work_image, ed.edit(again, edit).work_image)
    assert ed.has_inversion(img, "a red square") and not ed.has_inversion(img, "another prompt")


def test_prompt_image_and_inversion_settings_key_the_cache_but_edit_settings_do_not(tiny_sd, sd_preset, scene_image):
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset, inversions=InversionCache())
    img, _ = scene_image
    ed.invert(img, prompt="a")
    assert ed.invert(img, prompt="a", preset=sd_preset.replace(preview_every=2, time_travel_rounds=1,
                                                               name="other")).reused
    assert ed.invert(img, prompt="a", preset=sd_preset.with_mode("move", w_edit=1.0)).reused
    assert not ed.invert(img, prompt="b").reused
    other = img.copy()
    other[0, 0] = 255 - other[0, 0]  # one pixel
    assert not ed.invert(other, prompt="a").reused
    assert not ed.invert(img, prompt="a", preset=sd_preset.replace(inversion_refine=1)).reused
    assert len(ed.inversions) == 4


def test_editors_of_one_pipeline_share_the_cache_and_other_weights_invert_afresh(sd_preset, scene_image):
    from dragon_widgets.models.random_sd import random_sd_pipeline

    pipe = random_sd_pipeline("tiny", 0)
    a, b = dw.DragonEditor(pipe, preset=sd_preset), dw.DragonEditor(pipe, preset=sd_preset)
    assert a.inversions is b.inversions is cache_for(pipe.unet)
    img, _ = scene_image
    src = a.invert(img)
    assert b.invert(img).reused
    with torch.no_grad():  # the model's weights change in place: its fingerprint changes
        next(pipe.unet.parameters()).view(-1)[0] += 1.0
    fresh = b.invert(img)
    assert not fresh.reused and fresh.fingerprint != src.fingerprint
    assert len(a.inversions) == 1  # the other weights' inversion was dropped


def test_reference_images_are_inverted_once_across_edits(tiny_sd, sd_preset, scene_image):
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset, inversions=InversionCache())
    img, m = scene_image
    src = ed.invert(img)
    edit = dw.ReplaceAppearance(mask=m, reference=img[:, ::-1].copy(), reference_mask=m[:, ::-1].copy())
    calls = []
    first = ed.edit(src, edit, on_reference_step=lambda s, t, p: calls.append(s))
    n = len(calls)
    assert n == sd_preset.num_steps and first.timings["invert"] > src.timings["invert"]
    second = ed.edit(src, edit, on_reference_step=lambda s, t, p: calls.append(s))
    assert len(calls) == n  # the reference's inversion was reused
    assert second.timings["invert"] == src.timings["invert"]
    assert np.array_equal(first.work_image, second.work_image)


def test_a_cache_of_no_entries_turns_reuse_off(tiny_sd, sd_preset, scene_image):
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset, inversions=InversionCache(max_entries=0))
    img, _ = scene_image
    ed.invert(img)
    assert not ed.invert(img).reused and len(ed.inversions) == 0


class _Bank:
    def __init__(self, nbytes):
        self.nbytes = nbytes


class _Src:
    def __init__(self, nbytes):
        self.bank = _Bank(nbytes)


def _key(i, model="m"):
    return inversion_key(np.full((2, 2, 3), i, np.uint8), "", dw.get_preset("embedded"), model, "cpu", "float32")


def test_least_recently_used_inversions_leave_first_within_the_budgets():
    cache = InversionCache(max_bytes=250, max_entries=3)
    for i in range(3):
        cache.put(_key(i), _Src(100))
    assert len(cache) == 2 and _key(0) not in cache  # 300 bytes > 250: the oldest left
    assert cache.get(_key(1)) is not None  # now the most recently used
    cache.put(_key(3), _Src(100))
    assert _key(1) in cache and _key(2) not in cache and _key(3) in cache
    cache.put(_key(4), _Src(1000))  # above the budget alone: kept, it is the one being edited
    assert list(cache._items) == [_key(4)] and cache.nbytes == 1000
    many = InversionCache(max_bytes=10**9, max_entries=3)
    for i in range(5):
        many.put(_key(i), _Src(1))
    assert len(many) == 3 and _key(1) not in many
    assert many.get(_key(4, model="other")) is None and len(many) == 0  # the model changed: all dropped
    assert "0 inversions" in repr(many)


@pytest.mark.parametrize("kw", [{"max_bytes": -1}, {"max_entries": 1.5}, {"max_entries": True}])
def test_bad_budgets_are_refused_by_name(kw):
    with pytest.raises(ValueError, match=next(iter(kw))):
        InversionCache(**kw)


def test_bad_editor_arguments_are_refused_by_name(tiny_sd, sd_preset):
    with pytest.raises(TypeError, match="inversions"):
        dw.DragonEditor(tiny_sd, preset=sd_preset, inversions={})
    with pytest.raises(ValueError, match="threads"):
        dw.DragonEditor(tiny_sd, preset=sd_preset, threads="many")
    with pytest.raises(TypeError, match="prompt"):
        dw.DragonEditor(tiny_sd, preset=sd_preset).invert(np.zeros((64, 64, 3), np.uint8), prompt=3)
