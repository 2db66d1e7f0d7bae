"""DIFT features for the evaluator: the one place it asks a diffusion model for features.

Built on :class:`dragon_widgets.inspect.features.FeatureExtractor` (encode the image with the VAE, noise it to
``t`` with a seeded draw, one UNet pass with the prompt, the output of one decoder block); this function adds
DIFT's ensemble (the features of ``ensemble`` independently noised copies, averaged) and feeds the image at its
own size, as DIFT does, rounded to the sizes the model takes.
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
    averaged over ``ensemble`` noise draws seeded ``seed``, ``seed + 1`` …, with ``prompt`` as the text. The image
    goes in at its own size, each side rounded to the nearest multiple of :func:`model_multiple` (512² DragBench
    images unchanged for SD). Not upsampled: the caller upsamples to the image size."""
    from PIL import Image

    from ..inspect.features import FeatureExtractor

    if ensemble < 1:
        raise ValueError(f"ensemble must be >= 1, got {ensemble}")
    h, w = image.shape[:2]
    m = model_multiple(pipe)
    size = (max(m, int(round(w / m)) * m), max(m, int(round(h / m)) * m))
    fx = FeatureExtractor(pipe, layers=[layer], timesteps=[int(t)], prompt=prompt, seed=int(seed))
    fx.size = size  # DIFT feeds the image at its own size, not the model's training size
    img = Image.fromarray(np.ascontiguousarray(image))
    total = None
    for k in range(int(ensemble)):
        fx.seed = int(seed) + k
        f = fx(img)[(layer, int(t))]
        total = f if total is None else total + f
    return total / float(ensemble)
