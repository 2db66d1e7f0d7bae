"""Architecture of the embedded model: the Stable Diffusion component classes at a tiny size.

The UNet keeps SD's decoder layout — ``up_blocks[0]`` without attention, then three
``CrossAttnUpBlock2D`` with self-attention ``attn1`` — so the engine's SD preset (bank layers,
guidance blocks) maps 1:1 onto it.
"""

from __future__ import annotations

from pathlib import Path

from .codec import PixelUnshuffleAutoencoder
from .vocab import MAX_LENGTH, build_vocab

IMAGE_SIZE = 64
CODEC_FACTOR = 2
LATENT_CHANNELS = 3 * CODEC_FACTOR ** 2
LATENT_SIZE = IMAGE_SIZE // CODEC_FACTOR
TEXT_DIM = 64

UNET_CONFIG = dict(
    sample_size=LATENT_SIZE, in_channels=LATENT_CHANNELS, out_channels=LATENT_CHANNELS,
    down_block_types=("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"),
    block_out_channels=(32, 64, 128, 128), layers_per_block=1, cross_attention_dim=TEXT_DIM,
    attention_head_dim=(1, 2, 4, 4), norm_num_groups=8,
)
#: The second embedded model (in training): no attention at the full 32×32 latent resolution (half the
#: cost of a training step and of an edit), so its decoder self-attention is in up_blocks 1–2, as SDXL's.
UNET_CONFIG_V2 = dict(
    UNET_CONFIG,
    down_block_types=("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"),
    up_block_types=("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
)
ARCHITECTURES = {"v1": UNET_CONFIG, "v2": UNET_CONFIG_V2}
TEXT_CONFIG = dict(
    hidden_size=TEXT_DIM, intermediate_size=4 * TEXT_DIM, num_hidden_layers=2, num_attention_heads=4,
    max_position_embeddings=MAX_LENGTH, projection_dim=TEXT_DIM,
)
SCHEDULER_CONFIG = dict(
    num_train_timesteps=1000, beta_start=1e-4, beta_end=0.02, beta_schedule="linear",
    prediction_type="v_prediction", clip_sample=False, set_alpha_to_one=False, steps_offset=1,
    timestep_spacing="leading",
)
#: Noise schedules the trainer can train for: the first models' linear betas with "leading" timesteps, or the same
#: betas rescaled to zero terminal SNR (Lin et al. 2024: the last step is pure noise, as sampling starts) with
#: "trailing" timesteps (the first sampling step at t = 999).
SCHEDULES = {
    "linear": SCHEDULER_CONFIG,
    "zsnr": dict(SCHEDULER_CONFIG, rescale_betas_zero_snr=True, timestep_spacing="trailing"),
}


def build_components(arch: str = "v1", schedule: str = "linear") -> dict:
    """Freshly initialised components (unet, text_encoder, tokenizer, vae, scheduler) of ``arch``
    (a key of :data:`ARCHITECTURES`) with the noise ``schedule`` (a key of :data:`SCHEDULES`)."""
    if arch not in ARCHITECTURES or schedule not in SCHEDULES:
        raise ValueError(f"arch must be one of {sorted(ARCHITECTURES)} and schedule one of {sorted(SCHEDULES)}, "
                         f"got {arch!r} and {schedule!r}")
    import tempfile

    from diffusers import DDIMScheduler, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel

    from .vocab import save_tokenizer

    vocab, _ = build_vocab()
    text_cfg = CLIPTextConfig(vocab_size=len(vocab), bos_token_id=0, eos_token_id=1, pad_token_id=1, **TEXT_CONFIG)
    with tempfile.TemporaryDirectory() as d:
        tokenizer = save_tokenizer(d)
    return dict(
        unet=UNet2DConditionModel(**ARCHITECTURES[arch]),
        text_encoder=CLIPTextModel(text_cfg),
        tokenizer=tokenizer,
        vae=PixelUnshuffleAutoencoder(factor=CODEC_FACTOR, sample_size=IMAGE_SIZE),
        scheduler=DDIMScheduler(**SCHEDULES[schedule]),
    )


def save_pipeline(directory: str | Path, components: dict, fp16: bool = False) -> None:
    """Save components as a regular diffusers ``StableDiffusionPipeline`` folder (safetensors)."""
    import copy

    import torch

    from .assemble import as_pipeline

    parts = dict(components)
    if fp16:
        parts["unet"] = copy.deepcopy(parts["unet"]).to(torch.float16)
        parts["text_encoder"] = copy.deepcopy(parts["text_encoder"]).to(torch.float16)
    as_pipeline(parts).save_pretrained(str(directory), safe_serialization=True)
