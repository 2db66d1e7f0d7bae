"""dw.load_image_prompt: the official adapter file layout (``ip_sd15_64.bin``: ``image_proj`` = a depth-4 perceiver
resampler with 64 queries, ``ip_adapter`` = to_k_ip/to_v_ip per cross-attention), written with torch.save from
random tensors sized for the tiny SD-layout model, loaded into diffusers' IP-Adapter-Plus machinery."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from PIL import Image

import dragon_widgets as dw
from dragon_widgets.engine.image_prompt import ImagePrompt, has_ip_adapter

from official_adapter import DEPTH, DIM_HEAD, TOKENS


def resampler(p: dict, x: torch.Tensor) -> torch.Tensor:
    """The official resampler's computation, from its description: per layer, attention of the (normed) queries over
    [normed image states ‖ normed queries] plus a residual, then a LayerNorm-Linear-GELU-Linear feed-forward plus a
    residual; finally proj_out and norm_out."""
    dim = p["latents"].shape[-1]

    def ln(t, key):
        return F.layer_norm(t, (t.shape[-1],), p[key + ".weight"], p[key + ".bias"])

    def heads(t):
        return t.view(t.shape[0], t.shape[1], -1, DIM_HEAD).transpose(1, 2)

    lat = p["latents"].expand(x.shape[0], -1, -1)
    x = x @ p["proj_in.weight"].T + p["proj_in.bias"]
    for i in range(DEPTH):
        a, f = f"layers.{i}.0", f"layers.{i}.1"
        xs, ls = ln(x, a + ".norm1"), ln(lat, a + ".norm2")
        q = heads(ls @ p[a + ".to_q.weight"].T)
        k, v = (heads(t) for t in (torch.cat([xs, ls], 1) @ p[a + ".to_kv.weight"].T).chunk(2, -1))
        w = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(DIM_HEAD), -1)
        lat = (w @ v).transpose(1, 2).reshape(lat.shape[0], lat.shape[1], -1) @ p[a + ".to_out.weight"].T + lat
        h = F.gelu(ln(lat, f + ".0") @ p[f + ".1.weight"].T) @ p[f + ".3.weight"].T
        lat = h + lat
    assert lat.shape[-1] == dim
    return ln(lat @ p["proj_out.weight"].T + p["proj_out.bias"], "norm_out")


def _ip_processors(pipe):
    return [p for name, p in pipe.unet.attn_processors.items() if name.endswith("attn2.processor")]


def test_the_file_round_trips_into_diffusers_ip_adapter_plus(official_pipe, checkpoint):
    _, sd = checkpoint
    assert has_ip_adapter(official_pipe)
    procs = _ip_processors(official_pipe)
    assert len(procs) * 2 == len(sd["ip_adapter"])
    for j, proc in enumerate(procs):  # every cross-attention got its own pair, in the official order
        assert torch.equal(proc.to_k_ip[0].weight.detach(), sd["ip_adapter"][f"{2 * j + 1}.to_k_ip.weight"])
        assert torch.equal(proc.to_v_ip[0].weight.detach(), sd["ip_adapter"][f"{2 * j + 1}.to_v_ip.weight"])
        assert proc.num_tokens == [TOKENS]
        assert proc.scale == [0.1]  # the official default scale
    # the resampler computes the official function of the file's tensors, and makes 64 tokens
    x = torch.randn(2, 17, 32, generator=torch.Generator().manual_seed(1))
    (layer,) = official_pipe.unet.encoder_hid_proj.image_projection_layers
    with torch.no_grad():
        got = layer(x)
    assert got.shape == (2, TOKENS, official_pipe.unet.config.cross_attention_dim)
    assert torch.allclose(got, resampler(sd["image_proj"], x), atol=1e-5)


def test_the_image_prompt_is_the_image_resized_to_256_square_then_clip_preprocessed(official_pipe, scene_image):
    img = scene_image[0]  # 200×100: a centre crop would drop its left and right quarters
    ip = ImagePrompt(official_pipe, img, 0.1, (2, 4))
    (embeds,) = ip.embeds
    assert embeds.shape[:2] == (2, 1)  # [unconditional (zero image), conditional]
    enc, fe = official_pipe.image_encoder, official_pipe.feature_extractor

    def states(pil):
        with torch.no_grad():
            return enc(fe(pil, return_tensors="pt").pixel_values, output_hidden_states=True).hidden_states[-2][0]

    squared = states(Image.fromarray(img).resize((256, 256), Image.BICUBIC))
    assert torch.allclose(embeds[1, 0], squared, atol=1e-6)
    assert not torch.allclose(embeds[1, 0], states(Image.fromarray(img)), atol=1e-3)  # diffusers' default: crop
    with torch.no_grad():
        zero = enc(torch.zeros(1, 3, 32, 32), output_hidden_states=True).hidden_states[-2][0]
    assert torch.allclose(embeds[0, 0], zero, atol=1e-6)
    with torch.no_grad():
        (tokens,) = official_pipe.unet.encoder_hid_proj(ip.embeds)
    assert tokens.shape[-2] == TOKENS


def test_the_feature_extractor_at_vit_h_size_is_the_official_default_clip_preprocessing():
    """The loader builds CLIPImageProcessor(size=encoder image size); for ViT-H/14 (224) that is the official
    ``CLIPImageProcessor()``."""
    from transformers import CLIPImageProcessor

    from dragon_widgets.engine.official_image_prompt import OFFICIAL_PROMPT_SIZE

    rng = np.random.default_rng(0)
    img = Image.fromarray(rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)).resize((OFFICIAL_PROMPT_SIZE,) * 2)
    ours = CLIPImageProcessor(size=224, crop_size=224)(img, return_tensors="pt").pixel_values
    official = CLIPImageProcessor()(img, return_tensors="pt").pixel_values
    assert ours.shape == (1, 3, 224, 224) and torch.equal(ours, official)


@pytest.mark.parametrize("mode, scale", [("move", 0.1), ("landmark", 0.05)])
def test_scale_windows_per_mode(official_pipe, sd_preset, scene_image, mode, scale):
    """The official values: image term at ip_scale (0.1; face/landmark 0.05) for steps in ip_window only (official
    10–19, 2–3 on the short test schedule), scale 0 in inversion, guidance passes and re-noising."""
    img, m = scene_image
    assert dw.get_preset("sd15").mode(mode).ip_scale == scale and dw.get_preset("sd15").ip_window == (10, 20)
    ed = dw.DragonEditor(official_pipe, preset=sd_preset)
    src = ed.invert(img, prompt="a red square")
    proc = _ip_processors(official_pipe)[0]
    calls = []
    hook = official_pipe.unet.register_forward_pre_hook(
        lambda mod, args, kw: calls.append((args[0].shape[0], int(args[1]), proc.scale[0])), with_kwargs=True)
    edit = dw.Move(mask=m, offset=(40, 10)) if mode == "move" else dw.Drag(points=[((60, 45), (90, 45))], content=False)
    try:
        ed.edit(src, edit, seed=0)
    finally:
        hook.remove()
    step = {t: i for i, t in enumerate(src.bank.timesteps)}
    lo, hi = sd_preset.ip_window
    cfg = [(step[t], s) for batch, t, s in calls if batch == 2]
    assert len(cfg) >= sd_preset.num_steps
    assert all(s == (scale if lo <= i < hi else 0.0) for i, s in cfg)
    assert {i for i, s in cfg if s} == set(range(lo, hi))
    assert all(s == 0.0 for batch, _, s in calls if batch == 1)  # guidance features and time-travel re-noise
    assert proc.scale == [0.1]  # the pipeline's own scale is put back


def test_the_official_adapter_changes_the_edit(official_pipe, sd_preset, scene_image):
    img, m = scene_image
    ed = dw.DragonEditor(official_pipe, preset=sd_preset)
    src = ed.invert(img)
    edit = dw.Move(mask=m, offset=(40, 10))
    on = ed.edit(src, edit, seed=0).work_image
    off = dw.DragonEditor(official_pipe, preset=sd_preset.with_mode("move", ip_scale=0.0)).edit(src, edit, seed=0).work_image
    assert not np.array_equal(on, off)


def test_bad_files_and_mismatched_models_are_refused(tiny_sd, tiny_sd_dir, encoder_dir, checkpoint, tmp_path):
    path, sd = checkpoint
    with pytest.raises(FileNotFoundError, match="path .*Adapter/DragonDiffusion"):
        dw.load_image_prompt(tiny_sd, tmp_path / "missing.bin", image_encoder=str(encoder_dir))
    flat = tmp_path / "flat.bin"  # a flat (safetensors-style) key layout is not the official file
    torch.save({f"image_proj.{k}": v for k, v in sd["image_proj"].items()}, str(flat))
    with pytest.raises(ValueError, match="official layout"):
        dw.load_image_prompt(tiny_sd, flat, image_encoder=str(encoder_dir))
    shallow = tmp_path / "depth3.bin"
    torch.save({"image_proj": {k: v for k, v in sd["image_proj"].items() if not k.startswith("layers.3.")},
                "ip_adapter": sd["ip_adapter"]}, str(shallow))
    with pytest.raises(ValueError, match="depth-4 resampler; missing layers.3"):
        dw.load_image_prompt(tiny_sd, shallow, image_encoder=str(encoder_dir))
    pickled = tmp_path / "pickled.bin"  # not plain tensors: never unpickled
    torch.save({"image_proj": {}, "ip_adapter": {}, "obj": Image.new("RGB", (2, 2))}, str(pickled))
    with pytest.raises(ValueError, match="not a torch state dict of tensors"):
        dw.load_image_prompt(tiny_sd, pickled, image_encoder=str(encoder_dir))
    short = tmp_path / "short.bin"
    torch.save({"image_proj": sd["image_proj"], "ip_adapter": dict(list(sd["ip_adapter"].items())[:4])}, str(short))
    pipe = dw.load_pipeline(str(tiny_sd_dir))
    with pytest.raises(ValueError, match="cross-attentions"):
        dw.load_image_prompt(pipe, short, image_encoder=str(encoder_dir))
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    wide = CLIPVisionModelWithProjection(CLIPVisionConfig(hidden_size=48, intermediate_size=64, num_hidden_layers=1,
                                                          num_attention_heads=2, image_size=32, patch_size=8))
    with pytest.raises(ValueError, match="image_encoder: its hidden size is 48"):
        dw.load_image_prompt(pipe, path, image_encoder=wide)
    with pytest.raises(TypeError, match="image_encoder"):
        dw.load_image_prompt(pipe, path, image_encoder=3)
    assert not has_ip_adapter(pipe)  # nothing was half-loaded


def _recorded_prompts(monkeypatch):
    """Each ImagePrompt the editor builds for an edit (its embeds), with sampling skipped."""
    from dragon_widgets.engine.sampler import GuidedSampler

    seen = []
    init = ImagePrompt.__init__

    def spy(self, pipe, image, scale=0.0, window=(0, 0)):
        init(self, pipe, image, scale, window)
        if scale:  # the edit's prompt (inversions build theirs at scale 0)
            seen.append(self.embeds)

    monkeypatch.setattr(ImagePrompt, "__init__", spy)
    monkeypatch.setattr(GuidedSampler, "run", lambda self, z: z)
    return seen


def test_paste_builds_the_same_image_prompt_as_appearance_from_the_original_reference(official_pipe, sd_preset,
                                                                                       scene_image, monkeypatch):
    """Like the official code (and the appearance mode), paste resizes the *original* reference straight to 256²:
    not first to the working size and then again to 256²."""
    img, m = scene_image
    ed = dw.DragonEditor(official_pipe, preset=sd_preset)
    src = ed.invert(img, prompt="a red square")
    rng = np.random.default_rng(3)
    reference = rng.integers(0, 256, (150, 330, 3), dtype=np.uint8)  # another size than the working image
    reference[40:100, 60:150] = (250, 30, 30)
    ref_mask = np.zeros((150, 330), bool)
    ref_mask[40:100, 60:150] = True
    seen = _recorded_prompts(monkeypatch)
    ed.edit(src, dw.ReplaceAppearance(mask=m, reference=reference, reference_mask=ref_mask), seed=0)
    ed.edit(src, dw.Paste(reference=reference, reference_mask=ref_mask, offset=(10, 5), scale=0.9), seed=0)
    ed.edit(src, dw.Paste(reference=reference, reference_mask=ref_mask), seed=0)
    (appearance,), (paste,), (paste_in_place,) = seen
    assert torch.equal(paste, appearance) and torch.equal(paste_in_place, appearance)
    enc, fe = official_pipe.image_encoder, official_pipe.feature_extractor

    def states(pil):
        with torch.no_grad():
            return enc(fe(pil, return_tensors="pt").pixel_values, output_hidden_states=True).hidden_states[-2][0]

    once = states(Image.fromarray(reference).resize((256, 256), Image.BICUBIC))
    assert torch.allclose(paste[1, 0], once, atol=1e-6)
    twice = Image.fromarray(reference).resize(src.work_size, Image.LANCZOS).resize((256, 256), Image.BICUBIC)
    assert not torch.allclose(paste[1, 0], states(twice), atol=1e-4)  # the former double resize
