"""DIFT-style feature extraction from any image: noise its latent to t, one UNet forward, hook block outputs.

Works with a pipeline of any model family the engine drives (SD 1.x/2.x, SDXL, the embedded model): the family
encodes the prompt (with SDXL's pooled embeddings and time ids) and the image, as the editor does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def available_layers(unet: Any) -> list[str]:
    """Names of the UNet blocks whose outputs can be extracted: down_blocks.i, mid_block, up_blocks.i."""
    names = [f"down_blocks.{i}" for i in range(len(unet.down_blocks))]
    if getattr(unet, "mid_block", None) is not None:
        names.append("mid_block")
    return names + [f"up_blocks.{i}" for i in range(len(unet.up_blocks))]


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

    The latent is noised with a fixed ``seed`` (the same noise for every image), so two images'
    features are comparable; all timesteps go through the UNet as one batch.
    """

    def __init__(self, pipe: Any, layers: Sequence[str] | None = None,
                 timesteps: Sequence[int] = (261,), prompt: str = "", seed: int = 0) -> None:
        from ..engine.families import family_of  # torch: imported when an extractor is made

        self.family = family_of(pipe)  # refuses pipelines of no supported family, naming the families
        if layers is None:  # the guidance layers of the family's preset (SD: up_blocks.1, up_blocks.2)
            layers = self.family.feature_layers(pipe.unet, self.family.default_preset().feature_layers)
        valid = available_layers(pipe.unet)
        bad = [name for name in layers if name not in valid]
        if not layers or bad:
            raise ValueError(f"layers must be a non-empty subset of {valid}, got {list(layers)}")
        n_train = int(pipe.scheduler.config.num_train_timesteps)
        if not timesteps or any(not 0 <= int(t) < n_train for t in timesteps):
            raise ValueError(f"timesteps must be a non-empty list of integers in [0, {n_train}), got {list(timesteps)}")
        self.pipe = pipe
        self.layers = list(layers)
        self.timesteps = [int(t) for t in timesteps]
        self.prompt = prompt
        self.seed = int(seed)
        self.size = working_size(pipe)
        self._kwargs = None

    def _unet_kwargs(self, n: int) -> dict:
        """The family's UNet keyword arguments for the prompt, repeated for a batch of ``n`` timesteps."""
        import torch

        if self._kwargs is None:
            with torch.no_grad():
                cond = self.family.encode_prompt(self.pipe, self.prompt, self.size, self.pipe.unet.device)
            self._kwargs = cond.unet_kwargs(1)
        dtype = self.pipe.unet.dtype
        out = {"encoder_hidden_states": self._kwargs["encoder_hidden_states"].to(dtype).expand(n, -1, -1)}
        if "added_cond_kwargs" in self._kwargs:
            out["added_cond_kwargs"] = {k: v.expand(n, *v.shape[1:]) for k, v in self._kwargs["added_cond_kwargs"].items()}
        return out

    def encode(self, image: Any):
        """The image (PIL or uint8 (H, W, 3)) resized to the working size, as a (1, c, h, w) latent."""
        import torch
        from PIL import Image

        if isinstance(image, np.ndarray):
            if image.dtype != np.uint8:
                raise TypeError(f"image must be a uint8 array or PIL image, got dtype {image.dtype}")
            image = Image.fromarray(image)
        if not isinstance(image, Image.Image):
            raise TypeError(f"image must be a PIL image or uint8 numpy array, got {type(image).__name__}")
        img = np.asarray(image.convert("RGB").resize(self.size, Image.Resampling.BICUBIC))
        return self.family.encode(self.pipe, img, self.pipe.vae.device, self.pipe.unet.dtype)

    def __call__(self, image: Any) -> dict[tuple[str, int], Any]:
        """``{(layer, timestep): float32 tensor (C, h, w)}`` for every chosen layer and timestep."""
        import torch

        unet, sched = self.pipe.unet, self.pipe.scheduler
        z0 = self.encode(image)
        n = len(self.timesteps)
        gen = torch.Generator().manual_seed(self.seed)
        noise = torch.randn(z0.shape, generator=gen).to(z0.device, z0.dtype)
        t = torch.tensor(self.timesteps, dtype=torch.long)
        zt = sched.add_noise(z0.expand(n, -1, -1, -1), noise.expand(n, -1, -1, -1), t.to(z0.device))
        kwargs = self._unet_kwargs(n)

        captured: dict[str, Any] = {}
        last = max(self.layers, key=lambda name: available_layers(unet).index(name))

        class _Stop(Exception):
            pass

        def hook(name):
            def fn(_module, _inputs, output):
                captured[name] = (output[0] if isinstance(output, tuple) else output).detach().float().cpu()
                if name == last:
                    raise _Stop  # later blocks are not needed (DIFT stops after the last requested block)
            return fn

        from ..engine.sharing import using

        with using(unet):  # an editor on the same pipeline (another cell, an app) finishes its step first
            handles = [unet.get_submodule(name).register_forward_hook(hook(name)) for name in self.layers]
            try:
                with torch.no_grad():
                    unet(zt, t.to(zt.device), **kwargs)
            except _Stop:
                pass
            finally:
                for h in handles:
                    h.remove()
        return {(name, ts): captured[name][b] for name in self.layers for b, ts in enumerate(self.timesteps)}
