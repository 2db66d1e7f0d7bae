"""The package's embedded model (dragon_widgets/models/embedded): SD's component classes at 64×64, with a
pixel-unshuffle codec instead of a VAE. Prompt encoding and the decoder layout are SD's; the preset differs."""

from __future__ import annotations

from .sd import StableDiffusion


class Embedded(StableDiffusion):
    name = "embedded"
    label = "the embedded model"
    preset = "embedded"

    def detect(self, pipe) -> bool:
        return type(pipe.vae).__name__ == "PixelUnshuffleAutoencoder"
