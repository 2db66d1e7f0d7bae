"""IP-Adapter image prompts: a randomly initialised adapter + image encoder saved in diffusers' format and
loaded with ``pipe.load_ip_adapter`` — the path a user with real adapter weights takes."""

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import dragon_widgets as dw
from dragon_widgets.engine.image_prompt import has_ip_adapter


@pytest.fixture(scope="module")
def ip_pipe(tiny_sd_dir, tmp_path_factory):
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    pipe = dw.load_pipeline(str(tiny_sd_dir))
    d = tmp_path_factory.mktemp("ip")
    torch.manual_seed(0)
    enc = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                                         num_attention_heads=2, image_size=32, patch_size=8,
                                                         projection_dim=16))
    enc.save_pretrained(str(d / "image_encoder"))
    cross = pipe.unet.config.cross_attention_dim
    sd = {"image_proj.proj.weight": torch.randn(4 * cross, 16) * 0.2, "image_proj.proj.bias": torch.zeros(4 * cross),
          "image_proj.norm.weight": torch.ones(cross), "image_proj.norm.bias": torch.zeros(cross)}
    key = 1
    for name, module in pipe.unet.named_modules():
        if name.endswith("attn2"):
            out = module.to_k.weight.shape[0]
            sd[f"ip_adapter.{key}.to_k_ip.weight"] = torch.randn(out, cross) * 0.5
            sd[f"ip_adapter.{key}.to_v_ip.weight"] = torch.randn(out, cross) * 0.5
            key += 2
    save_file(sd, str(d / "ip-adapter.safetensors"))
    pipe.load_ip_adapter(str(d), subfolder="", weight_name="ip-adapter.safetensors", image_encoder_folder="image_encoder")
    pipe.set_ip_adapter_scale(0.7)
    return pipe


@pytest.mark.slow  # two edits with and without the image prompt
def test_image_prompt_is_used_in_its_window_and_user_scale_is_restored(ip_pipe, sd_preset, scene_image):
    assert has_ip_adapter(ip_pipe)
    img, m = scene_image
    ed = dw.DragonEditor(ip_pipe, preset=sd_preset)
    src = ed.invert(img)
    edit = dw.ReplaceAppearance(mask=m, reference=img[::-1].copy(), reference_mask=m[::-1].copy())
    with_ip = np.asarray(ed.edit(src, edit, seed=0).image)
    no_ip = np.asarray(dw.DragonEditor(ip_pipe, preset=sd_preset.with_mode("appearance", ip_scale=0.0)).edit(src, edit, seed=0).image)
    assert not np.array_equal(with_ip, no_ip)
    scales = [p.scale for p in ip_pipe.unet.attn_processors.values() if hasattr(p, "scale")]
    assert scales and all(s == [0.7] for s in scales)
    # generation and the other modes run with an adapter loaded too, and so do the in-line metrics
    ed.generate("a red circle", seed=0, size=(128, 128))
    ed.edit(src, dw.Move(mask=m, offset=(30, 5)), seed=0)
    drag = ed.edit(src, dw.Drag(points=[((60, 45), (80, 50))]), seed=0)
    assert len(dw.measure_edit(ed, drag)["drag"]) == 1
    assert all(s == [0.7] for s in (p.scale for p in ip_pipe.unet.attn_processors.values() if hasattr(p, "scale")))


def test_without_an_adapter_nothing_is_added(tiny_editor):
    assert not has_ip_adapter(tiny_editor.pipe)


def test_image_prompt_steps_keep_classifier_free_guidance_with_an_empty_prompt(ip_pipe, sd_preset, scene_image):
    """With prompt == negative prompt CFG is skipped, except where the image prompt is on: there the
    unconditional half carries the zero-image embedding, so the batch-2 pass is needed (official ε_u + γ(ε_c−ε_u))."""
    img, m = scene_image
    ed = dw.DragonEditor(ip_pipe, preset=sd_preset)
    src = ed.invert(img, prompt="")
    edit = dw.ReplaceAppearance(mask=m, reference=img[::-1].copy(), reference_mask=m[::-1].copy())
    batches = []
    hook = ip_pipe.unet.register_forward_pre_hook(lambda mod, args, kw: batches.append((args[0] if args else kw["sample"]).shape[0]),
                                                  with_kwargs=True)
    try:
        counts = {}
        for scale in (0.1, 0.0):
            batches.clear()
            dw.DragonEditor(ip_pipe, preset=sd_preset.with_mode("appearance", ip_scale=scale)).edit(src, edit, seed=0)
            counts[scale] = batches.count(2)
    finally:
        hook.remove()
    lo, hi = sd_preset.ip_window
    assert counts[0.1] == hi - lo  # one CFG pass per step of the image-prompt window
    assert counts[0.0] == 0


def test_a_cancelled_inversion_or_generation_restores_the_user_scale(ip_pipe, sd_preset, scene_image):
    ed = dw.DragonEditor(ip_pipe, preset=sd_preset)
    stop = lambda step, total, preview: step < 2  # noqa: E731 - returns False at step 2
    with pytest.raises(dw.EditCancelled):
        ed.invert(scene_image[0], on_step=stop)
    with pytest.raises(dw.EditCancelled):
        ed.generate("a red circle", size=(128, 128), on_step=stop)
    scales = [p.scale for p in ip_pipe.unet.attn_processors.values() if hasattr(p, "scale")]
    assert scales and all(s == [0.7] for s in scales)
