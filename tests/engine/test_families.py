"""The model-family seam: detection, default presets, layer selection by name pattern, one Conditioning per prompt,
and the refusals that name the families."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.conditioning import Conditioning
from dragon_widgets.engine.families import FAMILIES, family_names, family_of, get_family
from dragon_widgets.engine.families.layers import covers, feature_layers, self_attention_layers
from dragon_widgets.models.random_sd import random_embedded_pipeline, random_sd_pipeline


def test_each_pipeline_is_detected_as_its_family_with_its_default_preset(tiny_sd, tiny_sdxl):
    assert [f.name for f in FAMILIES] == ["embedded", "sdxl", "sd"]
    assert family_of(tiny_sd).name == "sd" and dw.DragonEditor(tiny_sd).preset.name == "sd15"
    assert family_of(tiny_sdxl).name == "sdxl" and dw.DragonEditor(tiny_sdxl).preset.name == "sdxl"
    emb = random_embedded_pipeline(0)
    assert family_of(emb).name == "embedded" and dw.DragonEditor(emb).preset.name == "embedded"
    assert get_family("sdxl") is FAMILIES[1] and family_names() == \
        "the embedded model, Stable Diffusion XL, Stable Diffusion 1.x/2.x"
    with pytest.raises(ValueError, match="family must be one of"):
        get_family("flux")


def test_a_v_prediction_sd2_pipeline_is_the_sd_family_and_runs(tiny_sd, sd_preset, scene_image):
    from diffusers import DDIMScheduler

    pipe = random_sd_pipeline("tiny", 1)
    pipe.scheduler = DDIMScheduler.from_config(pipe.scheduler.config, prediction_type="v_prediction")
    ed = dw.DragonEditor(pipe, preset=sd_preset)
    assert ed.family.name == "sd" and ed._model().prediction_type == "v_prediction"
    assert ed.reconstruct(ed.invert(scene_image[0])).shape == (64, 192, 3)


def test_patterns_name_modules_and_their_insides_not_their_numbered_siblings():
    assert covers("up_blocks.1", "up_blocks.1") and covers("up_blocks.1", "up_blocks.1.attentions.0.proj_in")
    assert not covers("up_blocks.1", "up_blocks.10.attentions.0") and not covers("up_blocks.1", "down_blocks.1")
    assert covers(r"up_blocks\.[12]", "up_blocks.2.resnets.0")


def test_sd_layers_are_the_official_blocks_in_the_unets_order(tiny_sd):
    unet = tiny_sd.unet
    assert feature_layers(unet, ("up_blocks.1", "up_blocks.2")) == ["up_blocks.1", "up_blocks.2"]
    bank = self_attention_layers(unet, ("up_blocks.1", "up_blocks.2", "up_blocks.3"))
    # the block-index rule this replaces: every attn1 processor of up_blocks 1–3, in attn_processors order
    old = [n for n in unet.attn_processors if n.split(".")[0] == "up_blocks" and int(n.split(".")[1]) in (1, 2, 3)
           and ".attn1." in n]
    assert bank == old and len(bank) == 6
    with pytest.raises(ValueError, match="must name exactly one module of this UNet, it names 4"):
        feature_layers(unet, (r"up_blocks\.\d",))
    with pytest.raises(ValueError, match="feature_layers must name at least one"):
        feature_layers(unet, ())


def test_sdxl_layers_follow_the_documented_choice(tiny_sdxl):
    unet = tiny_sdxl.unet
    preset = dw.get_preset("sdxl")
    ed = dw.DragonEditor(tiny_sdxl)
    assert ed.layers == ["up_blocks.0", "up_blocks.1"]
    # bank: the first transformer block of each up_blocks.0 attention, every self-attention of up_blocks.1
    expected = [n for n in unet.attn_processors if ".attn1." in n and (
        n.startswith("up_blocks.1.") or (n.startswith("up_blocks.0.") and ".transformer_blocks.0." in n))]
    assert ed.bank_layers == expected and len(unet.up_blocks[0].attentions[0].transformer_blocks) == 2
    assert not any(".transformer_blocks.1." in n for n in ed.bank_layers if n.startswith("up_blocks.0"))
    # the features are ½ and 1× the latent size, as SD's up_blocks.1/2
    z = torch.zeros(1, 4, 16, 16)
    cond = ed.embed("", (128, 128))
    from dragon_widgets.engine.features import layer_outputs

    outs = layer_outputs(unet, z, 500, ed.layers, **cond.unet_kwargs(1))
    assert [tuple(o.shape[-2:]) for o in outs] == [(8, 8), (16, 16)]
    assert preset.check() is preset


def test_sdxl_preset_is_sd15_with_the_layout_dependent_values_changed():
    sd, xl = dw.get_preset("sd15").to_dict(), dw.get_preset("sdxl").to_dict()
    changed = {k for k in sd if sd[k] != xl[k]}
    assert changed == {"name", "resolution", "multiple", "feature_layers", "bank_layers", "generate_guidance_scale"}
    assert xl["resolution"] == 1024 and xl["multiple"] == 32 and xl["modes"] == sd["modes"]


def test_sdxl_prompt_encoding_is_one_conditioning_with_pooled_embeds_and_time_ids(tiny_sdxl):
    ed = dw.DragonEditor(tiny_sdxl)
    c = ed.embed("a red square", (192, 96))
    assert isinstance(c, Conditioning) and ed.embed("a red square", (192, 96)) is c  # cached per prompt and size
    pe, npe, pooled, npooled = tiny_sdxl.encode_prompt("a red square", device="cpu", negative_prompt="")
    assert torch.equal(c.cond, pe) and torch.equal(c.uncond, npe)
    assert torch.equal(c.added["text_embeds"][0], pooled) and torch.equal(c.added["text_embeds"][1], npooled)
    # the micro-conditioning is diffusers' own for an uncropped image made at the working size (h, w order)
    ids = tiny_sdxl._get_add_time_ids((96, 192), (0, 0), (96, 192), pe.dtype, pooled.shape[-1])
    assert torch.equal(c.added["time_ids"][0], ids) and torch.equal(c.added["time_ids"][1], ids)
    both = c.unet_kwargs(2)
    assert both["encoder_hidden_states"].shape[0] == 2 and both["added_cond_kwargs"]["time_ids"].shape == (2, 6)
    assert torch.equal(both["added_cond_kwargs"]["text_embeds"][0], npooled[0])  # negative prompt first (CFG order)
    assert not c.cfg_is_noop and ed.embed("", (192, 96)).cfg_is_noop  # "" is the negative prompt
    assert not torch.equal(ed.embed("a red square", (128, 128)).added["time_ids"][0], ids)


def test_conditioning_merges_image_prompt_entries_and_checks_the_batch():
    c = Conditioning(cond=torch.ones(1, 3, 2), uncond=torch.zeros(1, 3, 2),
                     added={"text_embeds": (torch.ones(1, 4), torch.zeros(1, 4))})

    class FakeImagePrompt:
        def __call__(self, batch, i):
            return {"image_embeds": [torch.full((batch, 1, 2), float(i))]}

        def scale_at(self, i):
            return 0.5 if i == 3 else 0.0

    assert c.unet_kwargs(1) == {"encoder_hidden_states": c.cond, "added_cond_kwargs": {"text_embeds": c.added["text_embeds"][0]}}
    merged = c.with_image_prompt(FakeImagePrompt()).unet_kwargs(2, 3)["added_cond_kwargs"]
    assert set(merged) == {"text_embeds", "image_embeds"} and merged["image_embeds"][0].shape == (2, 1, 2)
    assert c.with_image_prompt(FakeImagePrompt()).image_prompt_on(3) and not c.image_prompt_on(3)
    assert "added_cond_kwargs" not in Conditioning(cond=c.cond, uncond=c.uncond).unet_kwargs(2)
    with pytest.raises(ValueError, match="batch must be 1 .* or 2"):
        c.unet_kwargs(3)


def test_sdxl_vae_runs_in_float32_when_its_config_asks_and_is_restored(tiny_sdxl):
    fam = get_family("sdxl")
    assert tiny_sdxl.vae.config.force_upcast
    tiny_sdxl.vae.to(torch.float16)
    try:
        import numpy as np

        img = np.full((32, 32, 3), 100, np.uint8)
        z = fam.encode(tiny_sdxl, img, "cpu", torch.float32)
        out = fam.decode(tiny_sdxl, z)
        assert tiny_sdxl.vae.dtype == torch.float16 and z.dtype == torch.float32
        assert out.shape == (32, 32, 3) and out.dtype == np.uint8
    finally:
        tiny_sdxl.vae.to(torch.float32)


def test_old_block_indices_in_logs_and_replace_become_name_patterns():
    sd = dw.get_preset("sd15")
    old = sd.to_dict()
    old["feature_blocks"], old["bank_blocks"] = old.pop("feature_layers"), old.pop("bank_layers")
    old["feature_blocks"], old["bank_blocks"] = [1, 2], [1, 2, 3]
    assert dw.Preset.from_dict(old) == sd
    assert sd.replace(feature_blocks=(2,)).feature_layers == ("up_blocks.2",)
    with pytest.raises(TypeError, match="not both"):
        sd.replace(bank_blocks=(1,), bank_layers=("up_blocks.1",))
    with pytest.raises(ValueError, match="must name feature_layers and bank_layers"):
        dw.Preset(name="bare", resolution=64, multiple=16).check()


def test_refusals_name_the_families_that_exist():
    refiner = random_sd_pipeline("sdxl-tiny")
    refiner.register_to_config(requires_aesthetics_score=True)
    with pytest.raises(TypeError, match="SDXL refiner"):
        dw.DragonEditor(refiner)
    inpaint = random_sd_pipeline("sdxl-tiny")
    inpaint.unet.register_to_config(in_channels=9)
    with pytest.raises(TypeError, match="9 input channels.*Stable Diffusion XL pipeline"):
        dw.DragonEditor(inpaint)


# ----- the embedded preset on both embedded architectures (models/build.py: v1 ships, v2 is the second model) -----

_EMBEDDED_BANK = {  # every decoder self-attention: SD's up_blocks 1–3 in v1; v2 has none at full latent resolution
    "v1": [f"up_blocks.{b}.attentions.{a}.transformer_blocks.0.attn1.processor" for b in (1, 2, 3) for a in (0, 1)],
    "v2": [f"up_blocks.{b}.attentions.{a}.transformer_blocks.0.attn1.processor" for b in (1, 2) for a in (0, 1)],
}


@pytest.mark.parametrize("arch", ["v1", "v2"])
def test_the_embedded_preset_selects_the_decoder_layers_of_both_architectures(arch):
    from dragon_widgets.engine.features import layer_outputs

    pipe = random_embedded_pipeline(0, arch)
    assert [type(b).__name__ for b in pipe.unet.up_blocks][3] == ("CrossAttnUpBlock2D" if arch == "v1" else "UpBlock2D")
    ed = dw.DragonEditor(pipe)
    assert ed.preset.name == "embedded" and ed.layers == ["up_blocks.1", "up_blocks.2"]
    assert ed.bank_layers == _EMBEDDED_BANK[arch]
    # the guidance features are ½ and 1× the 32×32 latent in both
    z = torch.zeros(1, pipe.unet.config.in_channels, 32, 32)
    outs = layer_outputs(pipe.unet, z, 500, ed.layers, **ed.embed("", (64, 64)).unet_kwargs(1))
    assert [tuple(o.shape[-2:]) for o in outs] == [(16, 16), (32, 32)]


def test_a_bank_pattern_that_covers_no_self_attention_is_an_error_not_a_smaller_bank():
    from dragon_widgets.engine.presets import _SD_BANK

    v2 = random_embedded_pipeline(0, "v2")
    with pytest.raises(ValueError, match=r"bank_layers pattern 'up_blocks.3' of \('up_blocks.1', 'up_blocks.2', "
                                         r"'up_blocks.3'\) covers no self-attention layer of this UNet.*self-attention "
                                         r"is in down_blocks.1, down_blocks.2, up_blocks.1, up_blocks.2, mid_block"):
        self_attention_layers(v2.unet, _SD_BANK)
    with pytest.raises(ValueError, match=r"preset 'embedded' does not fit .*patterns 'up_blocks.3', 'up_blocks.0'"):
        dw.DragonEditor(v2, preset=dw.get_preset("embedded").replace(bank_layers=_SD_BANK + ("up_blocks.0",)))
    assert self_attention_layers(random_embedded_pipeline(0, "v1").unet, _SD_BANK) == _EMBEDDED_BANK["v1"]


@pytest.mark.slow  # builds the second architecture and edits end to end
def test_an_edit_runs_end_to_end_on_the_v2_layout_and_reads_its_bank(embedded_preset):
    ed = dw.DragonEditor(random_embedded_pipeline(0, "v2"), preset=embedded_preset)
    img = np.full((64, 64, 3), 90, np.uint8)
    mask = np.zeros((64, 64), bool)
    mask[20:36, 14:30] = True
    img[mask] = (230, 40, 40)
    src = ed.invert(img, prompt="a red square")
    assert src.bank.layers == _EMBEDDED_BANK["v2"]
    move = dw.Move(mask=mask, offset=(16, 8))
    res = ed.edit(src, move, seed=0, record={"energies"})
    assert np.asarray(res.image).shape == (64, 64, 3) and res.trace.layers == ["up_blocks.1", "up_blocks.2"]
    assert any(s.energies for s in res.trace.steps)  # the feature energies ran on the v2 layers
    no_bank = ed.edit(src, move, seed=0, params={"bank_steps": (10_000, 10_000)})
    assert not np.array_equal(res.work_image, no_bank.work_image)  # the bank was read
