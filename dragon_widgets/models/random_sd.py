"""Randomly initialised pipelines with Stable Diffusion's classes and block layout (no weights needed).

Tests and benchmarks run the real SD code path on them: ``"tiny"`` is a small model with SD's layout
(four decoder up blocks, the first without attention), ``"sd15"`` has SD-1.5's exact sizes (for GPU
speed and memory figures). :func:`as_pipeline` wraps any components dict, e.g. the embedded model's.
"""

from __future__ import annotations

import tempfile

_SD_BLOCKS = dict(down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                  up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3)
_VAE_BLOCKS = dict(down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
_SD_SCHEDULER = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                     set_alpha_to_one=False, steps_offset=1)

#: (unet, vae, text encoder) configs per size; the text vocabulary is the embedded model's tokenizer.
SIZES: dict[str, dict] = {
    "tiny": dict(
        unet=dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=(16, 16, 32, 32),
                  layers_per_block=1, cross_attention_dim=32, attention_head_dim=2, norm_num_groups=8, **_SD_BLOCKS),
        vae=dict(in_channels=3, out_channels=3, block_out_channels=(8, 8, 16, 16), latent_channels=4,
                 norm_num_groups=8, sample_size=128, **_VAE_BLOCKS),
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=1, num_attention_heads=2,
                  max_position_embeddings=24),
    ),
    "sd15": dict(
        unet=dict(sample_size=64, cross_attention_dim=768, attention_head_dim=8,
                  block_out_channels=(320, 640, 1280, 1280), layers_per_block=2, **_SD_BLOCKS),
        vae=dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4, sample_size=512,
                 scaling_factor=0.18215, **_VAE_BLOCKS),
        text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                  max_position_embeddings=77),
    ),
}


def as_pipeline(components: dict):
    """A ``StableDiffusionPipeline`` of ``components`` (unet, vae, text_encoder, tokenizer, scheduler)."""
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline(**components, safety_checker=None, feature_extractor=None,
                                   requires_safety_checker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def random_sd_pipeline(size: str = "tiny", seed: int = 0):
    """A randomly initialised SD-layout pipeline of ``size`` (see :data:`SIZES`), seeded."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from .vocab import build_vocab, save_tokenizer

    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    cfg = SIZES[size]
    torch.manual_seed(seed)
    unet = UNet2DConditionModel(**cfg["unet"])
    vae = AutoencoderKL(**cfg["vae"])
    vocab, _ = build_vocab()
    te = CLIPTextModel(CLIPTextConfig(vocab_size=len(vocab), bos_token_id=0, eos_token_id=1, pad_token_id=1,
                                      **cfg["text"]))
    with tempfile.TemporaryDirectory() as d:
        tok = save_tokenizer(d)
    tok.model_max_length = cfg["text"]["max_position_embeddings"]
    return as_pipeline(dict(unet=unet, vae=vae, text_encoder=te, tokenizer=tok,
                            scheduler=DDIMScheduler(**_SD_SCHEDULER)))


def random_embedded_pipeline(seed: int = 0):
    """The embedded model's architecture (see :mod:`.build`) with random weights, seeded."""
    import torch

    from .build import build_components

    torch.manual_seed(seed)
    return as_pipeline(build_components())
