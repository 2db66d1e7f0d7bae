"""The model-family seam: everything the engine must know about one kind of diffusers pipeline.

A :class:`ModelFamily` detects its pipelines, names its default preset (whose ``feature_layers``/``bank_layers``
patterns select the UNet modules for guidance features and the memory bank), encodes a prompt into one
:class:`~..conditioning.Conditioning`, and encodes/decodes images with the VAE. The editor, the sampler and
``inspect``'s feature extractor ask the family; nothing else in the engine names a model's blocks or its
conditioning. Add a family: one module here with a subclass, registered in :mod:`.registry`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..conditioning import Conditioning
from ..pixels import pixels_to_tensor, tensor_to_pixels
from . import layers


class ModelFamily:
    """Base class; subclasses set ``name``, ``label`` and ``preset`` and override what differs."""

    name: str = ""  # short id, e.g. "sd"
    label: str = ""  # what users call it, e.g. "Stable Diffusion 1.x/2.x"
    preset: str = ""  # name of the default preset (engine/presets.py)

    def detect(self, pipe) -> bool:
        """Whether ``pipe`` belongs to this family."""
        raise NotImplementedError

    def check(self, pipe) -> None:
        """Refuse variants of the family the method cannot drive, with a message instead of a deep shape error."""
        unet_cfg, vae_cfg = pipe.unet.config, pipe.vae.config
        # a VAE's config names its latent channels; the embedded model's codec computes them (a property)
        latent = getattr(vae_cfg, "latent_channels", None) or getattr(pipe.vae, "latent_channels", None)
        if latent is not None and unet_cfg.in_channels != latent:
            raise TypeError(f"pipe: the UNet takes {unet_cfg.in_channels} input channels but the VAE makes "
                            f"{latent}-channel latents (an inpainting or depth-conditioned model?); use the "
                            f"text-to-image {self.label} pipeline")

    def default_preset(self):
        from ..presets import get_preset

        return get_preset(self.preset)

    # ----- prompts -------------------------------------------------------------------------------
    def encode_prompt(self, pipe, prompt: str, size: tuple[int, int], device) -> Conditioning:
        """``prompt`` (and the negative prompt "") encoded for a working image of ``size`` (w, h)."""
        cond, uncond = pipe.encode_prompt(prompt, device, 1, True, negative_prompt="")
        return Conditioning(cond=cond, uncond=uncond)

    # ----- images --------------------------------------------------------------------------------
    def encode(self, pipe, image: np.ndarray, device, dtype: torch.dtype) -> torch.Tensor:
        """A uint8 (H, W, 3) image as a scaled (1, c, h, w) latent (the distribution's mean) in ``dtype``."""
        x = pixels_to_tensor(image, device)
        with torch.no_grad():
            z = pipe.vae.encode(x.to(pipe.vae.dtype)).latent_dist.mean
        return (z * pipe.vae.config.scaling_factor).to(dtype)

    def decode(self, pipe, z: torch.Tensor) -> np.ndarray:
        """A scaled (1, c, h, w) latent as a uint8 (H, W, 3) image."""
        with torch.no_grad():
            x = pipe.vae.decode((z / pipe.vae.config.scaling_factor).to(pipe.vae.dtype)).sample
        return tensor_to_pixels(x)

    # ----- layers --------------------------------------------------------------------------------
    def feature_layers(self, unet, patterns: Sequence[str]) -> list[str]:
        """Names of the modules whose outputs are the guidance features (see :mod:`.layers`)."""
        return layers.feature_layers(unet, patterns)

    def bank_layers(self, unet, patterns: Sequence[str]) -> list[str]:
        """Processor names of the self-attention layers that record and read the memory bank."""
        return layers.self_attention_layers(unet, patterns)

    def __repr__(self) -> str:
        return f"<model family {self.name!r}: {self.label}>"
