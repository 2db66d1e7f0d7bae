"""Stable Diffusion XL (``StableDiffusionXLPipeline``, base 1024²): two text encoders, and *added* conditioning
— the pooled text embedding of the second encoder (``text_embeds``) and the micro-conditioning ``time_ids``
(original size, crop corner, target size) — in the UNet's ``added_cond_kwargs``.

Layers. SDXL's decoder has three up blocks: ``up_blocks.0`` (10 transformer blocks per attention, at ¼ of the
latent size, output upsampled to ½), ``up_blocks.1`` (2 per attention, at ½, output upsampled to 1×) and
``up_blocks.2`` (no attention, at 1×). Self-attention therefore exists only in up_blocks 0–1, and nowhere at the
full latent resolution. The ``sdxl`` preset keeps the *scales* of the official SD choice:

* guidance features: the outputs of ``up_blocks.0`` and ``up_blocks.1`` — ½ and 1× the latent size, exactly the
  sizes of SD's ``up_blocks.1``/``up_blocks.2`` outputs (1/16 and 1/8 of the image);
* memory bank: every self-attention of ``up_blocks.1`` (½ latent, SD's ``up_blocks.2`` scale; there is no
  full-resolution layer to stand for SD's ``up_blocks.3``) and the *first* transformer block's self-attention of
  each of ``up_blocks.0``'s three attentions (¼ latent, SD's ``up_blocks.1`` scale, three layers as in SD). Banking
  all 30 of up_blocks.0 would cost 7.9 GB more per inverted image at 1024² in float16 (3.9 GB with this choice,
  the official SD-1.5 setting: 3.1 GB at 768²).

Prompts. The negative prompt is the encoded empty string, as for SD (SDXL's own pipeline zeroes it,
``force_zeros_for_empty_prompt``): an empty prompt then encodes as its negative prompt and classifier-free
guidance is a no-op on real images, as the method expects. The time ids say the image was made at the working
size, uncropped. The VAE runs in float32 when its config asks for it (``force_upcast``: SDXL's VAE overflows in
float16), as diffusers' own pipeline does.
"""

from __future__ import annotations

import contextlib

import numpy as np
import torch

from ..conditioning import Conditioning
from ..pixels import pixels_to_tensor, tensor_to_pixels
from .base import ModelFamily


class StableDiffusionXL(ModelFamily):
    name = "sdxl"
    label = "Stable Diffusion XL"
    preset = "sdxl"

    def detect(self, pipe) -> bool:
        return (getattr(pipe.unet.config, "addition_embed_type", None) == "text_time"
                and hasattr(pipe, "text_encoder_2"))

    def check(self, pipe) -> None:
        super().check(pipe)
        if getattr(pipe.config, "requires_aesthetics_score", False) or getattr(pipe, "text_encoder", 1) is None:
            raise TypeError("pipe: this is the SDXL refiner (aesthetic-score conditioning, no first text encoder); "
                            "use the SDXL base model (StableDiffusionXLPipeline)")

    def encode_prompt(self, pipe, prompt: str, size: tuple[int, int], device) -> Conditioning:
        cond, uncond, pooled, neg_pooled = pipe.encode_prompt(prompt, device=device, num_images_per_prompt=1,
                                                              do_classifier_free_guidance=True, negative_prompt="")
        w, h = size
        time_ids = torch.tensor([[h, w, 0, 0, h, w]], dtype=cond.dtype, device=cond.device)  # original, crop, target
        expected = pipe.unet.add_embedding.linear_1.in_features
        got = pipe.unet.config.addition_time_embed_dim * time_ids.shape[1] + pooled.shape[-1]
        if got != expected:
            raise ValueError(f"pipe: the UNet's added embedding takes {expected} values but the text encoder's pooled "
                             f"embedding ({pooled.shape[-1]}) and 6 time ids make {got}; the components do not match")
        return Conditioning(cond=cond, uncond=uncond,
                            added={"text_embeds": (pooled, neg_pooled), "time_ids": (time_ids, time_ids)})

    @contextlib.contextmanager
    def _vae(self, pipe):
        """The VAE in float32 if its config asks for it (``force_upcast``), restored afterwards."""
        vae = pipe.vae
        upcast = vae.dtype == torch.float16 and getattr(vae.config, "force_upcast", False)
        if upcast:
            vae.to(torch.float32)
        try:
            yield vae
        finally:
            if upcast:
                vae.to(torch.float16)

    def _stats(self, vae, z):
        mean, std = getattr(vae.config, "latents_mean", None), getattr(vae.config, "latents_std", None)
        if mean is None or std is None:
            return None
        shape = (1, -1, 1, 1)
        return torch.tensor(mean).view(shape).to(z), torch.tensor(std).view(shape).to(z)

    def encode(self, pipe, image: np.ndarray, device, dtype: torch.dtype) -> torch.Tensor:
        x = pixels_to_tensor(image, device)
        with self._vae(pipe) as vae, torch.no_grad():
            z = vae.encode(x.to(vae.dtype)).latent_dist.mean.float()
        stats = self._stats(vae, z)
        if stats is not None:
            z = z - stats[0]
            z = z / stats[1]
        return (z * vae.config.scaling_factor).to(dtype)

    def decode(self, pipe, z: torch.Tensor) -> np.ndarray:
        z = z.float() / pipe.vae.config.scaling_factor
        stats = self._stats(pipe.vae, z)
        if stats is not None:
            z = z * stats[1] + stats[0]
        with self._vae(pipe) as vae, torch.no_grad():
            x = vae.decode(z.to(vae.dtype)).sample
        return tensor_to_pixels(x)
