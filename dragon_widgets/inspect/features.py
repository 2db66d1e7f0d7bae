"""DIFT-style feature extraction from any image, for the correspondence explorer: the engine's DIFT code
(:func:`dragon_widgets.engine.dift.block_features`) at chosen layers and timesteps, with a fixed seed.

Works with a pipeline of any model family the engine drives (SD 1.x/2.x, SDXL, the embedded model): the family
encodes the prompt (with SDXL's pooled embeddings and time ids) and the image, as the editor does. Importing this
module needs no torch; making an extractor does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def available_layers(unet: Any) -> list[str]:
    """Names of the UNet blocks whose outputs can be extracted: down_blocks.i, mid_block, up_blocks.i."""
    from ..engine.features import available_layers as blocks

    return blocks(unet)


def working_size(pipe: Any) -> tuple[int, int]:
    """(W, H) pixel size the pipeline's UNet was trained at."""
    sample = pipe.unet.config.sample_size
    factor = getattr(pipe, "vae_scale_factor", None) or 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    side = sample * factor if isinstance(sample, int) else sample[0] * factor
    return int(side), int(side)


class FeatureExtractor:
    """Extract UNet block features of an image at chosen timesteps (``layers``: by default the guidance layers of
    the pipeline's model family).

    >>> fx = FeatureExtractor(pipe, layers=["up_blocks.1", "up_blocks.2"], timesteps=[261])
    >>> feats = fx(image)            # {("up_blocks.1", 261): tensor (C, h, w), ...}

    The image is resized to the UNet's training size and its latent noised with a fixed ``seed`` (the same noise for
    every image), so two images' features are comparable; all timesteps go through the UNet as one batch.
    """

    def __init__(self, pipe: Any, layers: Sequence[str] | None = None,
                 timesteps: Sequence[int] = (261,), prompt: str = "", seed: int = 0) -> None:
        from ..engine.dift import check_timesteps, resolve_layers
        from ..engine.families import family_of  # torch: imported when an extractor is made

        self.family = family_of(pipe)  # refuses pipelines of no supported family, naming the families
        self.layers = resolve_layers(pipe, layers, self.family)
        self.timesteps = check_timesteps(pipe, list(timesteps), "timesteps")
        self.pipe = pipe
        self.prompt = prompt
        self.seed = int(seed)
        self.size = working_size(pipe)
        self._cond = None

    def __call__(self, image: Any) -> dict[tuple[str, int], Any]:
        """``{(layer, timestep): float32 tensor (C, h, w)}`` for every chosen layer and timestep."""
        import torch

        from ..engine.dift import block_features
        from ..engine.pipeline import execution_device

        if self._cond is None:
            with torch.no_grad():
                self._cond = self.family.encode_prompt(self.pipe, self.prompt, self.size, execution_device(self.pipe))
        return block_features(self.pipe, image, self.prompt, self.timesteps, self.layers, ensemble=1, seed=self.seed,
                              size=self.size, conditioning=self._cond)
