"""Conformance battery over the model-family registry (as test_edit_registry.py is for the edit modes): every
family in ``FAMILIES``, on a random-weight pipeline of its real diffusers classes saved to disk and loaded back
with ``dw.load_pipeline``, is detected as itself, names a preset whose layer patterns select modules of its UNet,
encodes prompts into a Conditioning its UNet takes, round-trips images through its VAE, refuses a UNet its VAE
does not fit, inverts into a memory bank on the preset's layers, edits with guidance features from those layers,
and replays its edit log bit for bit.

A new family is added to :data:`PIPELINES` with the fixture that builds its random pipeline; the first test fails
until it is.
"""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.conditioning import Conditioning
from dragon_widgets.core.images import resize_rgb
from dragon_widgets.engine.families import FAMILIES, family_names, family_of, get_family

#: family name -> the fixture that gives a random-weight pipeline of that family (engine/conftest.py or below).
PIPELINES = {"embedded": "tiny_embedded", "sd": "tiny_sd", "sdxl": "tiny_sdxl"}
NAMES = [f.name for f in FAMILIES]
PROMPT = "a red square"


@pytest.fixture(scope="session")
def tiny_embedded(tmp_path_factory):
    """The embedded model's architecture with random weights (``random_embedded_pipeline``), saved and loaded."""
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    d = tmp_path_factory.mktemp("tiny_embedded")
    random_embedded_pipeline(0).save_pretrained(str(d), safe_serialization=True)
    return dw.load_pipeline(str(d))


@pytest.fixture(scope="module", params=NAMES)
def case(request, shorten):
    """(family, its random pipeline, an editor on it with the family's preset shortened to 10 steps)."""
    family = get_family(request.param)
    if request.param not in PIPELINES:
        pytest.fail(f"family {request.param!r} has no random pipeline in the conformance battery (PIPELINES)")
    pipe = request.getfixturevalue(PIPELINES[request.param])
    preset = shorten(family.default_preset())
    if family.name != "embedded":
        preset = preset.replace(resolution=128)
    return family, pipe, dw.DragonEditor(pipe, preset=preset)


@pytest.fixture(scope="module")
def source(case, scene_image):
    _, _, editor = case
    return editor.invert(scene_image[0], prompt=PROMPT)


def test_every_registered_family_is_in_the_battery():
    assert NAMES and len(set(NAMES)) == len(NAMES)
    assert set(PIPELINES) == set(NAMES), f"registered families without a random pipeline here: " \
                                         f"{sorted(set(NAMES) - set(PIPELINES))}"


def test_the_family_is_detected_first_and_only_as_itself(case):
    family, pipe, editor = case
    assert family_of(pipe) is family and editor.family is family and get_family(family.name) is family
    earlier = FAMILIES[:FAMILIES.index(family)]
    assert not [f.name for f in earlier if f.detect(pipe)], "an earlier family claims this pipeline"
    assert family.label and family.label in family_names() and family.name in repr(family)


def test_the_default_preset_is_registered_and_selects_modules_of_the_unet(case):
    family, pipe, editor = case
    preset = family.default_preset()
    assert preset.name == family.preset and dw.get_preset(family.preset) == preset and preset.check() is preset
    assert dw.DragonEditor(pipe).preset.name == family.preset
    modules = dict(pipe.unet.named_modules())
    assert editor.layers and all(name in modules for name in editor.layers)
    assert editor.bank_layers and all(n in pipe.unet.attn_processors and ".attn1." in n for n in editor.bank_layers)
    assert family.feature_layers(pipe.unet, preset.feature_layers) == editor.layers
    assert family.bank_layers(pipe.unet, preset.bank_layers) == editor.bank_layers


def test_prompts_encode_into_a_conditioning_the_unet_takes(case):
    family, pipe, editor = case
    size = editor.preset.resolution, editor.preset.resolution
    cond = family.encode_prompt(pipe, PROMPT, size, pipe.device)
    assert isinstance(cond, Conditioning) and cond.cond.shape == cond.uncond.shape
    assert cond.cond.shape[0] == 1 and cond.cond.shape[-1] == pipe.unet.config.cross_attention_dim
    assert not cond.cfg_is_noop and editor.embed("", size).cfg_is_noop  # "" is the negative prompt
    z = editor.encode(np.zeros((size[1], size[0], 3), np.uint8))
    with torch.no_grad():
        out = pipe.unet(torch.cat([z, z]), 500, **cond.unet_kwargs(2)).sample
    assert out.shape == (2, *z.shape[1:]) and torch.isfinite(out).all()


def test_images_round_trip_through_the_vae_at_the_working_size(case, scene_image):
    family, pipe, editor = case
    h = w = editor.preset.resolution
    img = resize_rgb(scene_image[0], (w, h))
    z = family.encode(pipe, img, pipe.device, torch.float32)
    assert z.dtype == torch.float32 and z.shape[:2] == (1, pipe.unet.config.in_channels)
    assert h % z.shape[-2] == 0 and w % z.shape[-1] == 0 and h // z.shape[-2] == w // z.shape[-1]
    back = family.decode(pipe, z)
    assert back.shape == (h, w, 3) and back.dtype == np.uint8
    assert np.array_equal(back, family.decode(pipe, family.encode(pipe, img, pipe.device, torch.float32)))
    if family.name == "embedded":  # the pixel-unshuffle codec is exact
        assert np.abs(back.astype(int) - img.astype(int)).max() <= 1


def test_a_unet_the_vae_does_not_fit_is_refused_naming_the_family(case):
    family, pipe, _ = case
    config = dict(pipe.unet.config)
    config["in_channels"] = pipe.unet.config.in_channels + 5  # an inpainting-style UNet
    other = types.SimpleNamespace(**{k: getattr(pipe, k) for k in ("vae", "scheduler", "text_encoder", "config")
                                     if hasattr(pipe, k)})
    if hasattr(pipe, "text_encoder_2"):
        other.text_encoder_2 = pipe.text_encoder_2
    other.unet = types.SimpleNamespace(config=types.SimpleNamespace(**config))
    with pytest.raises(TypeError, match=rf"pipe: the UNet takes {config['in_channels']} input channels.*"
                                        rf"{family.label}"):
        family.check(other)


def test_inversion_records_the_bank_on_the_presets_layers(case, source):
    _, pipe, editor = case
    bank = source.bank
    assert bank.layers == editor.bank_layers and bank.num_steps == editor.preset.num_steps
    assert len(bank.latents) == editor.preset.num_steps + 1 and all(torch.isfinite(z).all() for z in bank.latents)
    latent = bank.z_T.shape[-2:]
    for name in bank.layers:
        gh, gw = bank.token_grids[name]
        assert latent[0] % gh == 0 and latent[1] % gw == 0 and latent[0] // gh == latent[1] // gw
    rec = editor.reconstruct(source)
    assert rec.shape == (*source.work_size[::-1], 3) and rec.dtype == np.uint8


@pytest.mark.parametrize("kind", ["move", pytest.param("drag", marks=pytest.mark.slow)])
def test_an_edit_guides_with_the_presets_layers_and_replays_bit_for_bit(kind, case, source, scene_image, tmp_path):
    family, pipe, editor = case
    img, m = scene_image
    edit = (dw.Move(mask=m, offset=(30, 5)) if kind == "move"
            else dw.Drag(points=[((60, 45), (80, 50))]))
    res = editor.edit(source, edit, seed=3, record=("features", "energies"))
    assert res.image.size == (200, 100) and np.asarray(res.image).std() > 0 and res.edit.mode == kind
    guided = [s for s in res.trace.steps if s.features]
    assert guided and all(set(s.features) == set(editor.layers) for s in guided)
    assert all(np.isfinite(v["current"]).all() for s in guided for v in s.features.values())
    assert all(np.isfinite(list(s.energies.values())).all() for s in guided)
    again = dw.replay(res.save(tmp_path / "log"), editor=editor)
    assert np.array_equal(again.work_image, res.work_image)


def test_generate_makes_an_editable_source(case):
    _, pipe, editor = case
    gen = editor.generate(PROMPT, seed=1)
    assert gen.seed == 1 and gen.bank.layers == editor.bank_layers and gen.work_image.dtype == np.uint8
    assert gen.work_image.shape[:2] == gen.work_size[::-1]
