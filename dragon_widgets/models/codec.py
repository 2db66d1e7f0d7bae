"""A lossless pixel-unshuffle codec behind diffusers' ``AutoencoderKL`` interface.

The embedded model works on 64×64 RGB images; ``encode`` folds each 2×2 pixel block into channels
(3×64×64 → 12×32×32, no information lost) and ``decode`` unfolds it. It exposes the same calls the
engine makes on a Stable Diffusion VAE (``encode(x).latent_dist.mode()/.mean/.sample()``,
``decode(z).sample``, ``config.scaling_factor``), so one engine code path serves both.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from diffusers.configuration_utils import ConfigMixin, register_to_config
from diffusers.models.autoencoders.autoencoder_kl import AutoencoderKLOutput
from diffusers.models.autoencoders.vae import DecoderOutput, DiagonalGaussianDistribution
from diffusers.models.modeling_utils import ModelMixin


class PixelUnshuffleAutoencoder(ModelMixin, ConfigMixin):
    """Deterministic, weight-free "VAE": latent = pixel_unshuffle(image, factor) · scaling_factor."""

    @register_to_config
    def __init__(self, in_channels: int = 3, factor: int = 2, scaling_factor: float = 1.0, sample_size: int = 64,
                 block_out_channels: tuple[int, ...] | None = None):
        super().__init__()
        if factor < 1 or factor & (factor - 1):
            raise ValueError(f"factor must be a power of two, got {factor}")
        if block_out_channels is None:
            # Pipelines derive their vae_scale_factor as 2 ** (len(block_out_channels) - 1).
            self.register_to_config(block_out_channels=(in_channels * factor ** 2,) * (factor.bit_length()))
        # One persistent buffer so save_pretrained / from_pretrained have a weights file, like any model.
        self.register_buffer("codec_factor", torch.tensor(float(factor)))

    @property
    def latent_channels(self) -> int:
        return self.config.in_channels * self.config.factor ** 2

    def encode(self, x: torch.Tensor, return_dict: bool = True):
        z = F.pixel_unshuffle(x, self.config.factor)
        dist = DiagonalGaussianDistribution(torch.cat([z, torch.zeros_like(z)], dim=1), deterministic=True)
        return AutoencoderKLOutput(latent_dist=dist) if return_dict else (dist,)

    def decode(self, z: torch.Tensor, return_dict: bool = True, generator=None):
        x = F.pixel_shuffle(z, self.config.factor)
        return DecoderOutput(sample=x) if return_dict else (x,)

    def forward(self, sample: torch.Tensor, return_dict: bool = True):
        return self.decode(self.encode(sample).latent_dist.mode(), return_dict=return_dict)
