"""Randomly initialised pipelines with Stable Diffusion's classes and block layout (no weights needed).

Tests and benchmarks run the real SD code path on them: ``"tiny"`` is a small model with SD's layout
(four decoder up blocks, the first without attention), ``"sd15"`` has SD-1.5's exact sizes (for GPU
speed and memory figures). ``"sdxl-tiny"`` is a small ``StableDiffusionXLPipeline`` with SDXL's layout (three
decoder up blocks, attention only in the first two, several transformer blocks per attention in the first; two
text encoders, pooled embeddings and time ids), fast on the CPU; ``"sdxl"`` has SDXL base's exact sizes, built on
the meta device (no memory): :func:`materialize` gives it random weights on a device. ``as_pipeline`` (from
:mod:`.assemble`, importable from here too) wraps any components dict, e.g. the embedded model's.
"""

from __future__ import annotations

import tempfile

from .assemble import as_pipeline

_SD_BLOCKS = dict(down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
                  up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3)
_VAE_BLOCKS = dict(down_block_types=("DownEncoderBlock2D",) * 4, up_block_types=("UpDecoderBlock2D",) * 4)
_SD_SCHEDULER = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", clip_sample=False,
                     set_alpha_to_one=False, steps_offset=1)
_SDXL_BLOCKS = dict(down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * 2,
                    up_block_types=("CrossAttnUpBlock2D",) * 2 + ("UpBlock2D",),
                    addition_embed_type="text_time", use_linear_projection=True)
#: SDXL base ships an Euler scheduler with these numbers, DDIM's among them (the editor derives its DDIM scheduler
#: from this config: set_alpha_to_one=False as in the hub file)
_SDXL_SCHEDULER = dict(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1,
                       timestep_spacing="leading", clip_sample=False, set_alpha_to_one=False)

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
    # SDXL: text = the first (CLIP ViT-L) encoder, text_2 = the second (OpenCLIP ViT-bigG, with projection);
    # cross_attention_dim = the two hidden sizes concatenated; the added embedding takes 6 time ids ×
    # addition_time_embed_dim + the pooled projection of text_2.
    "sdxl-tiny": dict(
        unet=dict(sample_size=16, in_channels=4, out_channels=4, block_out_channels=(16, 32, 32), layers_per_block=1,
                  transformer_layers_per_block=(1, 1, 2), attention_head_dim=(2, 4, 4), cross_attention_dim=64,
                  addition_time_embed_dim=8, projection_class_embeddings_input_dim=6 * 8 + 32, norm_num_groups=8,
                  **_SDXL_BLOCKS),
        vae=dict(in_channels=3, out_channels=3, block_out_channels=(8, 8, 16, 16), latent_channels=4,
                 norm_num_groups=8, sample_size=128, scaling_factor=0.13025, force_upcast=True, **_VAE_BLOCKS),
        text=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                  max_position_embeddings=24),
        text_2=dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
                    max_position_embeddings=24, projection_dim=32),
    ),
    "sdxl": dict(
        unet=dict(sample_size=128, block_out_channels=(320, 640, 1280), layers_per_block=2,
                  transformer_layers_per_block=(1, 2, 10), attention_head_dim=(5, 10, 20), cross_attention_dim=2048,
                  addition_time_embed_dim=256, projection_class_embeddings_input_dim=2816, **_SDXL_BLOCKS),
        vae=dict(block_out_channels=(128, 256, 512, 512), layers_per_block=2, latent_channels=4, sample_size=1024,
                 scaling_factor=0.13025, force_upcast=True, **_VAE_BLOCKS),
        text=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                  max_position_embeddings=77, hidden_act="quick_gelu"),
        text_2=dict(hidden_size=1280, intermediate_size=5120, num_hidden_layers=32, num_attention_heads=20,
                    max_position_embeddings=77, projection_dim=1280, hidden_act="gelu"),
    ),
}

#: sizes built on the meta device (parameters without storage): too big to initialise on the CPU in a test
META_SIZES = ("sdxl",)


def _tokenizer(max_length: int):
    from .vocab import save_tokenizer

    with tempfile.TemporaryDirectory() as d:
        tok = save_tokenizer(d)
    tok.model_max_length = max_length
    return tok


def _text_config(cfg: dict):
    from transformers import CLIPTextConfig

    from .vocab import build_vocab

    vocab, _ = build_vocab()
    return CLIPTextConfig(vocab_size=len(vocab), bos_token_id=0, eos_token_id=1, pad_token_id=1, **cfg)


def random_sd_pipeline(size: str = "tiny", seed: int = 0):
    """A randomly initialised pipeline of ``size`` (see :data:`SIZES`), seeded: a ``StableDiffusionPipeline``
    ("tiny", "sd15") or a ``StableDiffusionXLPipeline`` ("sdxl-tiny"; "sdxl" on the meta device, see
    :func:`materialize`). The text vocabulary is the embedded model's tokenizer."""
    import contextlib

    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextModel

    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, got {size!r}")
    cfg = SIZES[size]
    torch.manual_seed(seed)
    with torch.device("meta") if size in META_SIZES else contextlib.nullcontext():
        unet = UNet2DConditionModel(**cfg["unet"])
        vae = AutoencoderKL(**cfg["vae"])
        te = CLIPTextModel(_text_config(cfg["text"]))
        if "text_2" not in cfg:
            return as_pipeline(dict(unet=unet, vae=vae, text_encoder=te, tokenizer=_tokenizer(cfg["text"]["max_position_embeddings"]),
                                    scheduler=DDIMScheduler(**_SD_SCHEDULER)))
        from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline
        from transformers import CLIPTextModelWithProjection

        te2 = CLIPTextModelWithProjection(_text_config(cfg["text_2"]))
    pipe = StableDiffusionXLPipeline(vae=vae, text_encoder=te, text_encoder_2=te2,
                                     tokenizer=_tokenizer(cfg["text"]["max_position_embeddings"]),
                                     tokenizer_2=_tokenizer(cfg["text_2"]["max_position_embeddings"]), unet=unet,
                                     scheduler=EulerDiscreteScheduler.from_config(_SDXL_SCHEDULER), add_watermarker=False)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def materialize(pipe, device, dtype=None, seed: int = 0):
    """Give a pipeline built on the meta device (``random_sd_pipeline("sdxl")``) random weights on ``device``
    in ``dtype`` (PyTorch's default initialisation of every layer, seeded; storage is allocated once, in ``dtype``).
    Returns ``pipe``."""
    import torch

    torch.manual_seed(seed)
    for name, module in pipe.components.items():
        if not isinstance(module, torch.nn.Module):
            continue
        if dtype is not None:
            module.to(dtype)  # on the meta device: free
        module.to_empty(device=device)
        done = set()
        with torch.no_grad():
            for sub in module.modules():
                if hasattr(sub, "reset_parameters") and callable(sub.reset_parameters):
                    sub.reset_parameters()
                    done.update(id(p) for p in sub.parameters(recurse=False))
                if isinstance(getattr(sub, "position_ids", None), torch.Tensor):  # CLIP's (non-persistent) buffer
                    ids = sub.position_ids
                    ids.copy_(torch.arange(ids.shape[-1], device=ids.device).expand_as(ids))
            for p in module.parameters():
                if id(p) not in done:  # a bare nn.Parameter (no owning layer to reset)
                    p.normal_(0.0, 0.02)
    return pipe


def random_embedded_pipeline(seed: int = 0, arch: str = "v1"):
    """The embedded model's architecture ``arch`` (a key of :data:`.build.ARCHITECTURES`: "v1" ships, "v2" is the
    second model's) with random weights, seeded."""
    import torch

    from .build import ARCHITECTURES, build_components  # the codec imports diffusers: only when one is built

    if arch not in ARCHITECTURES:
        raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)}, got {arch!r}")
    torch.manual_seed(seed)
    return as_pipeline(build_components(arch))


__all__ = ["SIZES", "META_SIZES", "as_pipeline", "materialize", "random_embedded_pipeline", "random_sd_pipeline"]
