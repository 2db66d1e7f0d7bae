"""DIFT features for the evaluator: the one place it asks a diffusion model for features.

Built on :func:`dragon_widgets.engine.dift.block_features`, the DIFT code the inspector and the drag metric use
(encode the image with the VAE, noise it to ``t`` with ``ensemble`` seeded draws, one batched UNet pass with the
prompt, the output of one decoder block averaged over the draws); this function feeds the image at its own size,
as DIFT does, rounded to the sizes the model takes.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def model_multiple(pipe: Any) -> int:
    """Image sides the pipeline's UNet takes are multiples of this (VAE factor × 2^downsamplings)."""
    factor = getattr(pipe, "vae_scale_factor", None) or 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    return int(factor) * 2 ** (len(pipe.unet.config.block_out_channels) - 1)


def dift_features(pipe: Any, image: np.ndarray, prompt: str, t: int = 261, layer: str = "up_blocks.1",
                  ensemble: int = 8, seed: int = 0) -> Any:
    """(C, h, w) float32 features of ``image`` (uint8 (H, W, 3)): the output of ``layer`` at timestep ``t``,
    averaged over ``ensemble`` noise draws from a generator seeded ``seed``, with ``prompt`` as the text. The image
    goes in at its own size, each side rounded to the nearest multiple of :func:`model_multiple` (512² DragBench
    images unchanged for SD). Not upsampled: the caller upsamples to the image size."""
    from ..engine.dift import block_features

    h, w = image.shape[:2]
    m = model_multiple(pipe)
    size = (max(m, int(round(w / m)) * m), max(m, int(round(h / m)) * m))
    feats = block_features(pipe, np.ascontiguousarray(image), prompt, int(t), layer, ensemble, int(seed), size=size)
    return feats[(layer, int(t))]
