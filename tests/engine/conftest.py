"""Fixtures: a randomly initialised tiny pipeline with Stable Diffusion's classes and block layout,
saved to disk and loaded back through dw.load_pipeline (the real SD loading path), and a short preset."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import dragon_widgets as dw


def build_tiny_sd(seed: int = 0):
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from dragon_widgets.models.vocab import build_vocab, save_tokenizer

    torch.manual_seed(seed)
    unet = UNet2DConditionModel(
        sample_size=16, in_channels=4, out_channels=4,
        down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
        up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
        block_out_channels=(16, 16, 32, 32), layers_per_block=1, cross_attention_dim=32,
        attention_head_dim=2, norm_num_groups=8,
    )
    vae = AutoencoderKL(in_channels=3, out_channels=3, down_block_types=("DownEncoderBlock2D",) * 4,
                        up_block_types=("UpDecoderBlock2D",) * 4, block_out_channels=(8, 8, 16, 16),
                        latent_channels=4, norm_num_groups=8, sample_size=128)
    vocab, _ = build_vocab()
    te = CLIPTextModel(CLIPTextConfig(vocab_size=len(vocab), hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                                      num_attention_heads=2, max_position_embeddings=24, bos_token_id=0, eos_token_id=1,
                                      pad_token_id=1))
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        tok = save_tokenizer(d)
    sched = DDIMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                          set_alpha_to_one=False, steps_offset=1)
    return StableDiffusionPipeline(unet=unet, vae=vae, text_encoder=te, tokenizer=tok, scheduler=sched,
                                   safety_checker=None, feature_extractor=None, requires_safety_checker=False)


@pytest.fixture(scope="session")
def tiny_sd_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tiny_sd")
    build_tiny_sd().save_pretrained(str(d), safe_serialization=True)
    return d


@pytest.fixture(scope="session")
def tiny_sd(tiny_sd_dir):
    return dw.load_pipeline(str(tiny_sd_dir))


def short(preset):
    """The same method on 10 steps (windows scaled down) so end-to-end tests stay fast."""
    return preset.replace(name=preset.name + "-short", num_steps=10, guided_until=6, dense_until=2,
                          time_travel_steps=(4,), time_travel_rounds=2, sde_window=(1, 5), ip_window=(2, 4))


@pytest.fixture(scope="session")
def sd_preset():
    return short(dw.get_preset("sd15")).replace(resolution=128)


@pytest.fixture(scope="session")
def tiny_editor(tiny_sd, sd_preset):
    return dw.DragonEditor(tiny_sd, preset=sd_preset)


@pytest.fixture(scope="session")
def scene_image():
    """A non-square scene (200×100) with one object and its mask."""
    img = np.zeros((100, 200, 3), np.uint8)
    img[..., 0] = np.linspace(40, 200, 200)[None].astype(np.uint8)
    img[..., 1] = 120
    img[..., 2] = np.linspace(200, 60, 100)[:, None].astype(np.uint8)
    mask = np.zeros((100, 200), bool)
    mask[30:60, 40:80] = True
    img[mask] = (250, 30, 30)
    return img, mask


@pytest.fixture(scope="session")
def tiny_source(tiny_editor, scene_image):
    return tiny_editor.invert(scene_image[0], prompt="a red square")
