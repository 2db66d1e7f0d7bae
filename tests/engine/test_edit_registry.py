"""Conformance battery over the edit-mode registry and the UI mode descriptors: every registered mode
validates, survives a dict round trip, compiles into a well-shaped plan and runs on the tiny model."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.edits import EDIT_TYPES, MODE_PARAMS, EditContext, ModeParams, edit_from_dict
from dragon_widgets.engine.ui_modes import UI_MODES, Drawing, ui_mode

KINDS = sorted(EDIT_TYPES)
NAMES = [d.name for d in UI_MODES]


def edit_of_kind(kind: str, mode_drawing):
    desc = next(d for d in UI_MODES if d.preset_mode == kind)
    return desc.build(mode_drawing(desc))


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return np.array_equal(np.asarray(a), np.asarray(b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def test_every_registered_kind_has_a_descriptor_and_a_parameter_class_in_every_preset():
    assert set(KINDS) == {"move", "drag", "landmark", "appearance", "paste"}
    assert {d.preset_mode for d in UI_MODES} == set(EDIT_TYPES)
    assert len(set(NAMES)) == len(NAMES)
    for kind in KINDS:
        assert issubclass(MODE_PARAMS[kind], ModeParams) and MODE_PARAMS[kind] is EDIT_TYPES[kind].Params
        for preset in dw.PRESETS.values():
            assert type(preset.mode(kind)) is MODE_PARAMS[kind]
    # parameters are named as each mode means them: drag's contrast weight is not an "inpaint" weight
    assert "w_contrast" in dw.DragParams.labels and not hasattr(dw.get_preset("sd15").mode("drag"), "w_inpaint")
    assert dw.get_preset("sd15").mode("drag").w_contrast == 0.2


def test_the_editor_names_every_registered_edit_class_when_given_something_else(tiny_editor, tiny_source):
    with pytest.raises(TypeError) as err:
        tiny_editor.edit(tiny_source, {"kind": "move"})
    message = str(err.value)
    assert message.startswith("edit must be dw.") and message.endswith("got dict")
    for cls in EDIT_TYPES.values():  # generated from the registry: a new mode is named without touching the editor
        assert f"dw.{cls.__name__}" in message
    assert "dw.Landmark" in message


@pytest.mark.parametrize("name", NAMES)
def test_descriptor_builds_its_mode_and_says_what_is_missing(name, mode_drawing):
    desc = ui_mode(name)
    edit = desc.build(mode_drawing(desc))
    assert edit.mode == desc.preset_mode and edit.kind == desc.preset_mode
    assert desc.tools and desc.label and desc.hint
    with pytest.raises(ValueError):
        desc.build(Drawing())
    for need in desc.needs:
        assert hasattr(Drawing(), need)


def test_unknown_ui_mode_names_the_modes():
    with pytest.raises(ValueError, match="mode must be one of .*landmark"):
        ui_mode("warp")


@pytest.mark.parametrize("kind", KINDS)
def test_validate_and_dict_round_trip(kind, mode_drawing):
    edit = edit_of_kind(kind, mode_drawing).validate((200, 100))
    assert edit.kind == kind
    d = edit.to_dict()
    assert d["kind"] == kind
    back = edit_from_dict(d).validate((200, 100))
    assert type(back) is type(edit) and same(back.to_dict(), d)


@pytest.mark.parametrize("kind", KINDS)
def test_plan_shapes(kind, tiny_editor, tiny_source, mode_drawing):
    edit = edit_of_kind(kind, mode_drawing).validate(tiny_source.size)
    params = tiny_editor.preset.mode(edit.mode)
    z_T = tiny_source.bank.z_T
    latent = (z_T.shape[-1], z_T.shape[-2])
    grid = (latent[0] * tiny_editor.preset.feature_upscale, latent[1] * tiny_editor.preset.feature_upscale)
    ctx = EditContext(input_size=tiny_source.size, size=tiny_source.work_size, latent=latent, grid=grid,
                      params=params, z_T=z_T, invert=tiny_editor._invert, drag_window=tiny_editor.preset.drag_window)
    plan = edit.plan(ctx)
    assert plan.mode == edit.mode and plan.bank_rule == params.bank_rule
    assert plan.edit_region.shape == plan.sde_region.shape == (1, 1, latent[1], latent[0])
    assert plan.z_T.shape == z_T.shape and torch.isfinite(plan.z_T).all()
    assert plan.terms and all(t.weight == t.weight for t in plan.terms)
    n_cells = grid[0] * grid[1]
    for t in plan.terms:
        for group in t.groups:
            for idx in group:
                assert int(idx.max()) < n_cells and int(idx.min()) >= 0
        assert t.ref in ("base", *plan.references)
    for mask in plan.masks.values():
        assert mask.shape == tiny_source.work_size[::-1] and mask.dtype == bool
    if plan.bank_rule == "bgfg":
        assert "reference" in plan.references and plan.base_keep.shape == plan.ref_keep.shape


@pytest.mark.parametrize("kind", KINDS)
def test_every_mode_edits_on_the_tiny_model(kind, tiny_editor, tiny_source, mode_drawing):
    res = tiny_editor.edit(tiny_source, edit_of_kind(kind, mode_drawing), seed=0)
    out = np.asarray(res.image)
    assert res.image.size == (200, 100) and out.std() > 0
    assert res.edit.mode == kind and res.preset.mode(kind) == tiny_editor.preset.mode(kind)


def test_old_landmark_form_is_the_landmark_mode(tiny_editor, tiny_source):
    pts = [((60, 45), (90, 50))]
    old = tiny_editor.edit(tiny_source, dw.Drag(points=pts, content=False), seed=0)
    new = tiny_editor.edit(tiny_source, dw.Landmark(points=pts), seed=0)
    assert old.edit.mode == "landmark" and np.array_equal(old.work_image, new.work_image)


def version1_preset_dict(preset) -> dict:
    """A preset as logs before the per-mode parameter classes stored it (one union ModeParams per mode)."""
    d = preset.to_dict()
    for name, m in d["modes"].items():
        m.setdefault("w_content", 0.0)
        m.setdefault("w_contrast", 0.0)
        m.setdefault("w_inpaint", 0.0)
        if name == "drag":
            m["w_inpaint"], m["w_contrast"] = m["w_contrast"], 0.0
    return d


@pytest.mark.parametrize("name", sorted(dw.PRESETS))
def test_presets_round_trip_and_read_version1_logs(name):
    preset = dw.get_preset(name)
    assert dw.Preset.from_dict(preset.to_dict()) == preset
    assert dw.Preset.from_dict(version1_preset_dict(preset)) == preset
    assert preset.with_mode("drag", w_inpaint=0.7).mode("drag").w_contrast == 0.7  # the old name still works
    bad = version1_preset_dict(preset)
    bad["modes"]["appearance"]["w_inpaint"] = 1.0  # a value the mode never used cannot be dropped silently
    with pytest.raises(ValueError, match="w_inpaint"):
        dw.Preset.from_dict(bad)
    with pytest.raises(ValueError, match="has no parameters"):
        preset.with_mode("move", warp=1)


def test_params_are_frozen_dataclasses_of_their_mode():
    p = dw.get_preset("sd15").mode("move")
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.w_edit = 1
    assert set(p.numbers()) >= {"w_edit", "w_content", "w_contrast", "w_inpaint", "guidance_scale"}
    assert "w_inpaint" not in dw.get_preset("sd15").mode("drag").numbers()
