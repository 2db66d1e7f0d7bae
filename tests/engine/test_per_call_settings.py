"""Per-call settings: ``preset=`` and ``params=`` on invert/generate/edit, derived state computed per call, the
editor never changed, and the edit log keeping the effective preset so replay reproduces the edit."""

import json

import numpy as np
import pytest

import dragon_widgets as dw


@pytest.fixture
def move(scene_image):
    return dw.Move(mask=scene_image[1], offset=(40, 10))


def test_a_per_call_preset_runs_as_an_editor_made_with_it_and_leaves_the_editor_alone(tiny_editor, tiny_source,
                                                                                         tiny_sd, move):
    before = tiny_editor.preset
    other = before.replace(name="other", attract_beta=2.0).with_mode("move", grad_scale=0.2)
    res = tiny_editor.edit(tiny_source, move, seed=0, preset=other)
    assert tiny_editor.preset is before and res.preset == other
    want = dw.DragonEditor(tiny_sd, preset=other).edit(tiny_source, move, seed=0)
    assert np.array_equal(res.work_image, want.work_image)
    assert not np.array_equal(res.work_image, tiny_editor.edit(tiny_source, move, seed=0).work_image)


@pytest.mark.parametrize("form", ["dict", "object"])
def test_params_override_the_modes_parameters_for_one_call(tiny_editor, tiny_source, tiny_sd, move, form):
    before = tiny_editor.preset
    changed = before.with_mode("move", w_edit=9.0, energy_scale=900.0)
    params = {"w_edit": 9.0, "energy_scale": 900.0} if form == "dict" else changed.mode("move")
    res = tiny_editor.edit(tiny_source, move, seed=0, params=params)
    assert tiny_editor.preset is before and before.mode("move").w_edit != 9.0
    assert res.preset == changed and res.preset.mode("move").w_edit == 9.0
    want = dw.DragonEditor(tiny_sd, preset=changed).edit(tiny_source, move, seed=0)
    assert np.array_equal(res.work_image, want.work_image)


def test_params_and_presets_that_do_not_fit_are_refused_naming_the_argument(tiny_editor, tiny_source, move):
    with pytest.raises(ValueError, match=r"params: MoveParams has no parameters \['warp'\]"):
        tiny_editor.edit(tiny_source, move, params={"warp": 1})
    with pytest.raises(TypeError, match="params must be a MoveParams for mode 'move'"):
        tiny_editor.edit(tiny_source, move, params=tiny_editor.preset.mode("drag"))
    with pytest.raises(TypeError, match="params must be a MoveParams or a dict"):
        tiny_editor.edit(tiny_source, move, params=[1])
    with pytest.raises(ValueError, match="preset must be a Preset or one of"):
        tiny_editor.edit(tiny_source, move, preset="sdxl-turbo-9000")
    # derived state is checked per call: the layers the preset's patterns select, and the layer weights
    with pytest.raises(ValueError, match="does not fit this .*'up_blocks.7' must name exactly one module"):
        tiny_editor.edit(tiny_source, move, preset=tiny_editor.preset.replace(feature_blocks=(1, 7)))
    with pytest.raises(ValueError, match="does not fit this .*cover no self-attention layer"):
        tiny_editor.edit(tiny_source, move, preset=tiny_editor.preset.replace(bank_blocks=(7,)))
    with pytest.raises(ValueError, match="layer_weights"):
        tiny_editor.edit(tiny_source, move, preset=tiny_editor.preset.replace(feature_blocks=(1, 2, 3)))
    with pytest.raises(ValueError, match="layer_weights"):
        tiny_editor.edit(tiny_source, move, params={"layer_weights": (1.0,)})


def test_a_source_must_match_the_calls_preset(tiny_editor, tiny_source, move):
    with pytest.raises(ValueError, match="inverted with 10 steps but the preset uses 12"):
        tiny_editor.edit(tiny_source, move, preset=tiny_editor.preset.replace(num_steps=12))
    fewer = tiny_editor.preset.replace(bank_blocks=(2, 3))
    src = tiny_editor.invert(tiny_source.image, prompt="a red square", preset=fewer)
    assert src.preset == fewer and all(n.startswith(("up_blocks.2.", "up_blocks.3.")) for n in src.bank.layers)
    with pytest.raises(ValueError, match=r"memory bank has no keys/values for 2 layers the preset's bank_layers"):
        tiny_editor.edit(src, move)
    assert tiny_editor.edit(src, move, preset=fewer).preset == fewer


def test_invert_and_generate_take_a_preset_per_call(tiny_editor, scene_image):
    img, _ = scene_image
    before = tiny_editor.preset
    small = before.replace(resolution=64, num_steps=6, time_travel_steps=())
    src = tiny_editor.invert(img, preset=small)
    assert src.work_size == tiny_editor.working_size(img.shape[1::-1], small) != tiny_editor.working_size(img.shape[1::-1])
    assert src.bank.num_steps == 6 and src.preset == small and tiny_editor.preset is before
    gen = tiny_editor.generate("a red circle", preset=small)
    assert gen.work_size == (64, 64) and gen.bank.num_steps == 6
    assert tiny_editor.edit(src, dw.Move(mask=scene_image[1], offset=(10, 0)), preset=small).preset == small


def test_the_log_keeps_the_effective_preset_and_replay_reproduces_the_edit(tiny_editor, tiny_source, move, tmp_path):
    before = tiny_editor.preset
    res = tiny_editor.edit(tiny_source, move, seed=2, params={"w_edit": 7.0})
    folder = res.save(tmp_path / "edit")
    logged = json.loads((folder / "edit.json").read_text())["preset"]
    assert logged["modes"]["move"]["w_edit"] == 7.0 and dw.Preset.from_dict(logged) == res.preset
    again = dw.replay(folder, editor=tiny_editor)
    assert tiny_editor.preset is before and again.preset == res.preset
    assert np.array_equal(np.asarray(again.image), np.asarray(res.image))
    plain = tiny_editor.edit(tiny_source, move, seed=2)  # the editor's own preset gives another image
    assert not np.array_equal(plain.work_image, res.work_image)


def test_settings_derives_the_layers_of_the_preset_it_is_given(tiny_editor):
    s = tiny_editor.settings(tiny_editor.preset.replace(feature_blocks=(2, 3), bank_blocks=(3,)), "move",
                             {"layer_weights": (1.0, 1.0)})
    assert s.layers == ("up_blocks.2", "up_blocks.3")
    assert s.bank_layers and all(n.startswith("up_blocks.3.") for n in s.bank_layers)
    assert tiny_editor.layers == ["up_blocks.1", "up_blocks.2"]  # the editor's own preset is untouched
    assert s.preset.mode("move").layer_weights == (1.0, 1.0)
    with pytest.raises(ValueError, match="params needs the mode"):
        tiny_editor.settings(params={"w_edit": 1.0})
