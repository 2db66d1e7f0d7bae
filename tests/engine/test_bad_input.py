"""Bad input to the engine's API, as a new user would type it: strings where numbers belong, seeds out of range,
sizes that cannot be allocated, a source made by another model. Each gives a clear error naming the argument
before any model call (or, for the accepted forms, the right value)."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.arguments import check_seed, number_pair, real_number
from dragon_widgets.engine.fingerprint import model_fingerprint

from dragon_widgets.models.random_sd import random_sd_pipeline


@pytest.fixture
def m(scene_image):
    return scene_image[1]


SIZE = (200, 100)

# (edit factory taking the mask, exception type, message pattern)
BAD_EDITS = {
    "offset digit string": (lambda m: dw.Move(mask=m, offset="34"), TypeError, r"offset must be a pair \(dx, dy\)"),
    "offset of strings": (lambda m: dw.Move(mask=m, offset=("3", "4")), TypeError, "offset must be a pair"),
    "offset of bools": (lambda m: dw.Move(mask=m, offset=(True, 2)), TypeError, "offset must be a pair"),
    "offset of three": (lambda m: dw.Move(mask=m, offset=[1, 2, 3]), TypeError, "offset must be a pair"),
    "offset a dict": (lambda m: dw.Move(mask=m, offset={"x": 1, "y": 2}), TypeError, "offset must be a pair"),
    "offset a set": (lambda m: dw.Move(mask=m, offset={3, 4}), TypeError, "offset must be a pair"),
    "offset NaN": (lambda m: dw.Move(mask=m, offset=(math.nan, 1)), ValueError, "offset must be finite"),
    "offset inf": (lambda m: dw.Move(mask=m, offset=(1, math.inf)), ValueError, "offset must be finite"),
    "scale string": (lambda m: dw.Move(mask=m, offset=(4, 4), scale="1.5"), TypeError, "scale must be a number"),
    "scale bool": (lambda m: dw.Move(mask=m, offset=(4, 4), scale=True), TypeError, "scale must be a number"),
    "scale NaN": (lambda m: dw.Move(mask=m, offset=(4, 4), scale=math.nan), ValueError, "scale must be finite"),
    "points digit strings": (lambda m: dw.Drag(points=[(("60", "45"), (90, 50))]), TypeError, r"points\[0\] handle"),
    "points a pair of digit strings": (lambda m: dw.Drag(points=[("6045", "9050")]), TypeError, r"points\[0\] handle"),
    "points a string": (lambda m: dw.Drag(points="60,45:90,50"), TypeError, "points must be a list"),
    "points pair a string": (lambda m: dw.Drag(points=["ab"]), TypeError, r"points\[0\] must be a pair"),
    "points target inf": (lambda m: dw.Drag(points=[((60, 45), (90, math.inf))]), ValueError, r"points\[0\] target must be finite"),
    "points a bool coordinate": (lambda m: dw.Landmark(points=[((60, True), (90, 50))]), TypeError, r"points\[0\] handle"),
    "drag content a string": (lambda m: dw.Drag(points=[((60, 45), (90, 50))], content="no"), TypeError, "content must be True or False"),
    "paste reference_prompt an int": (lambda m: dw.Paste(reference=np.zeros((100, 200, 3), np.uint8), reference_mask=m,
                                                         offset=(5, 5), reference_prompt=5), TypeError, "reference_prompt must be a string"),
    "appearance reference_prompt None": (lambda m: dw.ReplaceAppearance(mask=m, reference=np.zeros((100, 200, 3), np.uint8),
                                                                        reference_mask=m, reference_prompt=None), TypeError, "reference_prompt must be a string"),
    "paste offset digit string": (lambda m: dw.Paste(reference=np.zeros((100, 200, 3), np.uint8), reference_mask=m,
                                                     offset="34"), TypeError, "offset must be a pair"),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_bad_edit_arguments_are_refused_naming_the_argument(case, tiny_editor, tiny_source, m):
    make, err, match = BAD_EDITS[case]
    with pytest.raises(err, match=match):
        tiny_editor.edit(tiny_source, make(m))


def test_real_numbers_in_any_numeric_form_are_accepted(m):
    e = dw.Move(mask=m, offset=np.array([3, 4]), scale=np.float32(1.5)).validate(SIZE)
    assert e.offset == (3.0, 4.0) and e.scale == 1.5 and type(e.scale) is float
    e = dw.Move(mask=m, offset=(torch.tensor(2.5), np.int64(-1))).validate(SIZE)
    assert e.offset == (2.5, -1.0)
    d = dw.Drag(points=[(np.array([60, 45]), (np.int32(90), 50.5))]).validate(SIZE)
    assert d.points == [((60.0, 45.0), (90.0, 50.5))]
    assert number_pair([1, 2], "p") == (1.0, 2.0) and real_number(np.array(3.0), "x") == 3.0
    for bad in ("3", b"3", None, [3], np.array([3.0]), torch.tensor(True), 1j, np.bool_(True)):
        with pytest.raises(TypeError, match="x must be a number"):
            real_number(bad, "x")


# ----- seeds ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("seed, err, match", [
    (-1, ValueError, r"seed must satisfy 0 ≤ seed < 2\*\*63"),
    (2 ** 63, ValueError, "seed must satisfy"),
    (2 ** 64, ValueError, "seed must satisfy"),
    ("abc", TypeError, "seed must be an int"),
    ("3", TypeError, "seed must be an int"),
    (1.5, TypeError, "seed must be an int"),
    (3.0, TypeError, "seed must be an int"),
    (True, TypeError, "seed must be an int"),
    ([1], TypeError, "seed must be an int"),
])
def test_bad_seeds_name_seed_in_edit_and_generate(seed, err, match, tiny_editor, tiny_source, m):
    with pytest.raises(err, match=match):
        tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=seed)
    with pytest.raises(err, match=match):
        tiny_editor.generate("a red square", seed=seed, size=(64, 64))


def test_numpy_and_largest_seeds_are_accepted():
    assert check_seed(np.int64(7)) == 7 and type(check_seed(np.int64(7))) is int
    assert check_seed(2 ** 63 - 1) == 2 ** 63 - 1 and check_seed(0) == 0
    drawn = {check_seed(None) for _ in range(20)}
    assert len(drawn) > 1 and all(0 <= s < 2 ** 63 for s in drawn)


def test_seed_none_draws_a_fresh_seed_recorded_in_the_result_and_the_log(tiny_editor, tiny_source, m, tmp_path):
    import json

    res = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=None)
    assert isinstance(res.seed, int) and 0 <= res.seed < 2 ** 63
    log = json.loads((res.save(tmp_path / "log") / "edit.json").read_text())
    assert log["seed"] == res.seed
    again = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=res.seed)
    assert np.array_equal(np.asarray(again.image), np.asarray(res.image))
    gen = tiny_editor.generate("a red square", seed=None, size=(64, 64))
    assert isinstance(gen.seed, int) and 0 <= gen.seed < 2 ** 63
    same = tiny_editor.generate("a red square", seed=gen.seed, size=(64, 64))
    assert np.array_equal(np.asarray(gen.image), np.asarray(same.image)) and same.seed == gen.seed


def test_generate_guidance_scale_must_be_a_number_and_reconstruct_needs_a_bank(tiny_editor, tiny_source):
    import dataclasses

    with pytest.raises(TypeError, match="guidance_scale must be a number"):
        tiny_editor.generate("a red square", guidance_scale="7.5", size=(64, 64))
    with pytest.raises(ValueError, match="guidance_scale must be finite"):
        tiny_editor.generate("a red square", guidance_scale=math.inf, size=(64, 64))
    with pytest.raises(ValueError, match="source has no memory bank"):
        tiny_editor.reconstruct(dataclasses.replace(tiny_source, bank=None))


# ----- sizes ---------------------------------------------------------------------------------------------------
def test_an_impossible_resolution_is_a_value_error_before_allocating(tiny_editor, scene_image):
    ed = dw.DragonEditor(tiny_editor.pipe, preset=tiny_editor.preset.replace(resolution=100_000))
    with pytest.raises(ValueError, match=r"preset\.resolution must be an integer in \[8, 2048\], got 100000"):
        ed.invert(scene_image[0])
    with pytest.raises(ValueError, match=r"preset\.resolution"):
        ed.generate("a red square")
    ed.preset = tiny_editor.preset.replace(multiple=4096)
    with pytest.raises(ValueError, match=r"preset\.multiple must be an integer in \[1, resolution=128\]"):
        ed.invert(scene_image[0])


def test_an_extreme_aspect_ratio_is_refused_before_allocating(tiny_editor):
    strip = np.zeros((4000, 8, 3), np.uint8)
    with pytest.raises(ValueError, match=r"image is 8×4000 px: its working size would be 64×2880"):
        tiny_editor.invert(strip)
    with pytest.raises(ValueError, match="working size"):
        tiny_editor.generate("a red square", size=(8, 4000))


# ----- which model made a source -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def other_weights(tmp_path_factory, sd_preset):
    """The tiny SD layout with other random weights, saved and loaded like a user's second model."""
    d = tmp_path_factory.mktemp("tiny_sd_other")
    random_sd_pipeline("tiny", 1).save_pretrained(str(d), safe_serialization=True)
    return dw.DragonEditor(dw.load_pipeline(str(d)), preset=sd_preset)


@pytest.fixture(scope="module")
def embedded_source(scene_image):
    preset = dw.get_preset("embedded").replace(num_steps=10, guided_until=6, dense_until=2, time_travel_steps=(4,),
                                               sde_window=(1, 5), ip_window=(2, 4))
    ed = dw.DragonEditor(dw.load_pipeline(), preset=preset)
    return ed, ed.invert(scene_image[0][:, :100].copy(), prompt="")


def test_a_source_records_the_model_that_made_it(tiny_editor, tiny_source):
    assert tiny_source.model == str(tiny_editor.pipe.config._name_or_path)
    assert tiny_source.fingerprint == model_fingerprint(tiny_editor.pipe.unet) and len(tiny_source.fingerprint) == 16


def test_a_source_from_the_same_architecture_with_other_weights_is_refused(other_weights, tiny_editor, tiny_source, m):
    with pytest.raises(ValueError) as info:
        other_weights.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)))
    msg = str(info.value)
    assert tiny_source.model in msg and str(other_weights.pipe.config._name_or_path) in msg
    assert tiny_source.fingerprint in msg and "invert the image again" in msg
    with pytest.raises(ValueError, match="source was inverted/generated by model"):
        other_weights.reconstruct(tiny_source)


@pytest.mark.embedded  # the trained embedded model
def test_the_embedded_models_source_given_to_an_sd_layout_editor_is_refused(embedded_source, tiny_editor,
                                                                            tiny_source):
    emb_editor, emb_src = embedded_source
    m = np.zeros((100, 100), bool)
    m[30:60, 40:70] = True
    with pytest.raises(ValueError, match=r"source was inverted/generated by model 'embedded' .* this editor runs "
                                         r"model '.*tiny_sd"):
        tiny_editor.edit(emb_src, dw.Move(mask=m, offset=(10, 0)))
    with pytest.raises(ValueError, match=r"by model '.*tiny_sd.*' .* this editor runs model 'embedded'"):
        emb_editor.edit(tiny_source, dw.Move(mask=np.pad(m, ((0, 0), (0, 100))), offset=(10, 0)))


def test_a_reference_source_from_another_model_is_refused(other_weights, tiny_editor, tiny_source, scene_image, m):
    img, _ = scene_image
    theirs = other_weights.invert(img)
    with pytest.raises(ValueError, match="reference was inverted/generated by model"):
        tiny_editor.edit(tiny_source, dw.Paste(reference=theirs, reference_mask=m, offset=(30, 0)))


def test_the_same_weights_loaded_twice_or_in_float16_are_the_same_model(tiny_sd_dir, tiny_editor, tiny_source, m):
    twin = dw.DragonEditor(dw.load_pipeline(str(tiny_sd_dir)), preset=tiny_editor.preset)
    assert model_fingerprint(twin.pipe.unet) == tiny_source.fingerprint
    assert model_fingerprint(copy.deepcopy(twin.pipe.unet).to(torch.float16)) == tiny_source.fingerprint
    res = twin.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=2)
    ref = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=2)
    assert np.array_equal(np.asarray(res.image), np.asarray(ref.image))


def test_changed_weights_change_the_fingerprint(tiny_sd_dir):
    pipe = dw.load_pipeline(str(tiny_sd_dir))
    before = model_fingerprint(pipe.unet)
    with torch.no_grad():
        pipe.unet.conv_out.weight.mul_(1.5)
    assert model_fingerprint(pipe.unet) != before
