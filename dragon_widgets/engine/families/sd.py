"""Stable Diffusion 1.x and 2.x (ε- and v-prediction): one CLIP text encoder, no added conditioning.

The decoder has four up blocks, the first without attention; the ``sd15`` preset guides with the outputs of
``up_blocks.1``/``up_blocks.2`` (½ and 1× the latent size) and banks the self-attention of ``up_blocks.1``–``3``,
as the official DragonDiffusion code. The prediction type comes from the scheduler's config (ModelAdapter).
"""

from __future__ import annotations

from .base import ModelFamily


class StableDiffusion(ModelFamily):
    name = "sd"
    label = "Stable Diffusion 1.x/2.x"
    preset = "sd15"

    def detect(self, pipe) -> bool:
        return getattr(pipe.unet.config, "addition_embed_type", None) is None and hasattr(pipe, "text_encoder")
