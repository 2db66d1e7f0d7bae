"""DIFT features (Tang et al. 2023, "Emergent Correspondence from Image Diffusion"): encode an image, noise its
latent to a timestep t, run the UNet once and take chosen block outputs; averaged over a few noise draws, they
match points across images by cosine similarity.

One implementation serves the engine's in-line drag metric (:func:`dragon_widgets.engine.metrics.measure_edit`),
the inspection panels' :class:`~dragon_widgets.inspect.FeatureExtractor` and benchmark evaluators:

* :func:`dift_features` — image(s) + pipeline + prompt + t + layers + ensemble size → one L2-normalised feature
  map per image (the layers resized to one grid and concatenated), ready for nearest-neighbour matching;
* :func:`block_features` — the raw block outputs of one image per (layer, timestep), averaged over the draws.

Any pipeline of a family the engine drives works (SD 1.x/2.x, SDXL, the embedded model): the family encodes the
prompt (with SDXL's pooled embeddings and time ids) and the image; with an IP-Adapter loaded the image prompt runs
at scale 0. The latent is noised with the forward process of the model's training schedule,
``sqrt(ᾱ_t)·z + sqrt(1 − ᾱ_t)·ε``, whatever sampler the pipeline ships.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from .features import available_layers, layer_outputs

#: DIFT's defaults for Stable Diffusion: t = 261 of 1000 and 8 noise draws.
DIFT_T = 261
DIFT_ENSEMBLE = 8


def _rgb(image: Any, name: str) -> np.ndarray:
    """A PIL image or uint8 (H, W, 3) array as uint8 (H, W, 3)."""
    from PIL import Image

    if isinstance(image, Image.Image):
        return np.asarray(image.convert("RGB"))
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise TypeError(f"{name} must be a uint8 array or PIL image, got dtype {image.dtype}")
        if image.ndim != 3 or image.shape[-1] != 3:
            raise ValueError(f"{name} must be an (H, W, 3) array, got shape {image.shape}")
        return image
    raise TypeError(f"{name} must be a PIL image or uint8 numpy array, got {type(image).__name__}")


def _resized(image: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    from PIL import Image

    if size is None or (image.shape[1], image.shape[0]) == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize(tuple(int(v) for v in size), Image.Resampling.BICUBIC))


def resolve_layers(pipe: Any, layers: str | Sequence[str] | None = None, family: Any = None) -> list[str]:
    """The block names ``layers`` asks for (one name or several, from :func:`available_layers`), checked; ``None``:
    the guidance layers of the pipeline's model family (``family``, found from ``pipe`` when not given)."""
    if layers is None:
        if family is None:
            from .families import family_of

            family = family_of(pipe)
        return family.feature_layers(pipe.unet, family.default_preset().feature_layers)
    names = [layers] if isinstance(layers, str) else list(layers)
    valid = available_layers(pipe.unet)
    if not names or any(name not in valid for name in names):
        raise ValueError(f"layers must be a non-empty subset of {valid}, got {names}")
    return names


def check_timesteps(pipe: Any, t: int | Sequence[int], name: str = "t") -> list[int]:
    """``t`` (one timestep or a list) as a list of ints in the model's training range; ``ValueError`` naming
    ``name`` otherwise."""
    n_train = int(pipe.scheduler.config.num_train_timesteps)
    ts = [t] if isinstance(t, (int, np.integer)) else list(t)
    if not ts or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 0 <= int(v) < n_train
                     for v in ts):
        raise ValueError(f"{name} must be an integer timestep or a non-empty list of integers in [0, {n_train}), "
                         f"got {t!r}")
    return [int(v) for v in ts]


def training_alphas(pipe: Any) -> torch.Tensor:
    """ᾱ_t of the pipeline's training schedule (float32, CPU), as a DDIM scheduler built from its config has them."""
    from diffusers import DDIMScheduler

    return DDIMScheduler.from_config(pipe.scheduler.config).alphas_cumprod.float().cpu()


def _repeat_batch(kwargs: Any, n: int) -> Any:
    """UNet keyword arguments of batch 1 repeated to batch ``n`` (tensors in nested dicts and lists)."""
    if isinstance(kwargs, torch.Tensor):
        return kwargs.expand(n, *kwargs.shape[1:])
    if isinstance(kwargs, dict):
        return {k: _repeat_batch(v, n) for k, v in kwargs.items()}
    if isinstance(kwargs, (list, tuple)):
        return type(kwargs)(_repeat_batch(v, n) for v in kwargs)
    return kwargs


def _block_outputs(pipe: Any, image: np.ndarray, prompt: str, timesteps: list[int], layers: list[str],
                   ensemble: int, seed: int, conditioning: Any, family: Any) -> dict[tuple[str, int], torch.Tensor]:
    """{(layer, t): float32 (1, C, h, w) on the UNet's device}: the block outputs of a working-size uint8 image,
    the mean over ``ensemble`` noise draws (one batched UNet pass of timesteps × draws, stopped after the last
    layer)."""
    from .image_prompt import ImagePrompt
    from .pipeline import execution_device
    from .sharing import using

    unet = pipe.unet
    device, dtype = execution_device(pipe), unet.dtype
    z = family.encode(pipe, image, device, dtype)
    alphas = training_alphas(pipe)
    gen = torch.Generator().manual_seed(int(seed))
    noise = torch.randn((ensemble, *z.shape[1:]), generator=gen).to(z.device, z.dtype)
    zt = torch.cat([math.sqrt(float(alphas[t])) * z + math.sqrt(1 - float(alphas[t])) * noise for t in timesteps])
    n = zt.shape[0]
    t_arg = timesteps[0] if len(timesteps) == 1 else torch.tensor(timesteps, device=z.device).repeat_interleave(ensemble)
    if conditioning is None:
        with torch.no_grad():
            conditioning = family.encode_prompt(pipe, prompt, (image.shape[1], image.shape[0]), device)
    with using(unet):  # an editor on the same pipeline (another cell, an app) finishes its step first
        ip = ImagePrompt(pipe, image)  # with an adapter loaded every UNet call needs image embeddings (scale 0)
        try:
            kwargs = conditioning.with_image_prompt(ip if ip.active else None).unet_kwargs(1, -1)
            kwargs["encoder_hidden_states"] = kwargs["encoder_hidden_states"].to(dtype)
            with torch.no_grad():
                feats = layer_outputs(unet, zt, t_arg, layers, keep=lambda f: f.detach().float(),
                                      **_repeat_batch(kwargs, n))
        finally:
            ip.restore()
    out = {}
    for layer, f in zip(layers, feats):
        for k, t in enumerate(timesteps):
            out[(layer, t)] = f[k * ensemble:(k + 1) * ensemble].mean(0, keepdim=True)
    return out


def _setup(pipe: Any, layers: Any, t: Any, ensemble: int, size: Any) -> tuple[Any, list[str], list[int], int]:
    from .families import family_of

    family = family_of(pipe)  # refuses pipelines of no supported family, naming the families
    names = resolve_layers(pipe, layers, family)
    timesteps = check_timesteps(pipe, t)
    if isinstance(ensemble, bool) or not isinstance(ensemble, (int, np.integer)) or ensemble < 1:
        raise ValueError(f"ensemble must be an integer >= 1 (noise draws averaged), got {ensemble!r}")
    if size is not None and (len(size) != 2 or any(int(v) < 8 for v in size)):
        raise ValueError(f"size must be (width, height) in pixels, each at least 8, got {size!r}")
    return family, names, timesteps, int(ensemble)


def _vae_factor(pipe: Any) -> int:
    return int(getattr(pipe, "vae_scale_factor", None) or 8)


def _check_side(image: np.ndarray, pipe: Any, name: str) -> None:
    factor = _vae_factor(pipe)
    h, w = image.shape[:2]
    if h % factor or w % factor:
        raise ValueError(f"{name} is {w}×{h}; the VAE needs sides that are multiples of {factor}: pass size=(W, H) "
                         f"to resize it")


def block_features(pipe: Any, image: Any, prompt: str = "", t: int | Sequence[int] = DIFT_T,
                   layers: str | Sequence[str] | None = None, ensemble: int = 1, seed: int = 0, *,
                   size: tuple[int, int] | None = None, conditioning: Any = None) -> dict[tuple[str, int], torch.Tensor]:
    """The raw UNet block outputs of one image: ``{(layer, t): float32 tensor (C, h, w) on the CPU}`` for every
    layer in ``layers`` (names of :func:`available_layers`; default the family's guidance layers) and every
    timestep in ``t``, each the mean over ``ensemble`` noise draws.

    ``image``: PIL or uint8 (H, W, 3), resized (bicubic) to ``size`` (W, H) when given. ``seed`` seeds the noise
    draws (the same draws at every timestep; the same seed gives two images the same noise). ``conditioning``: the
    prompt already encoded by the model family (``editor.embed(prompt, size)``), to skip encoding it again.
    """
    family, names, timesteps, ensemble = _setup(pipe, layers, t, ensemble, size)
    img = _resized(_rgb(image, "image"), size)
    _check_side(img, pipe, "image")
    out = _block_outputs(pipe, img, prompt, timesteps, names, ensemble, seed, conditioning, family)
    return {key: f[0].cpu() for key, f in out.items()}


def dift_features(pipe: Any, images: Any, prompt: str = "", t: int = DIFT_T,
                  layers: str | Sequence[str] | None = None, ensemble: int = DIFT_ENSEMBLE,
                  seed: int | Sequence[int] = 0, *, grid: tuple[int, int] | None = None,
                  size: tuple[int, int] | None = None, conditioning: Any = None) -> torch.Tensor:
    """DIFT feature maps of one image or of several, for point matching by cosine similarity.

    Each image is encoded by the pipeline's VAE, its latent noised to timestep ``t`` with ``ensemble`` noise
    draws, and run through the UNet once (text ``prompt``; the pass stops after the last requested block). Per
    block in ``layers`` (``"up_blocks.1"`` or a list of names from :func:`available_layers`; default the model
    family's guidance layers, SD: up_blocks.1 and up_blocks.2) the output is averaged over the draws, resized
    (bilinear) to ``grid`` (w, h; default the latent's size) and L2-normalised over channels; the blocks are
    concatenated along the channels.

    ``images``: a PIL image or uint8 (H, W, 3) array → float32 (C, h, w) on the CPU; a list of them (or a uint8
    (N, H, W, 3) array) → (N, C, h, w), images processed one after another. Images must share a size; ``size``
    (W, H) resizes them first (bicubic). ``seed``: the noise draws' seed, an int for every image or one per
    image (different draws for the images of a pair keep shared noise from pinning features to their place).
    ``conditioning``: the prompt already encoded by the model family (``editor.embed(prompt, size)``).

    >>> fa, fb = dift_features(pipe, [src, edited], prompt="a photo of a cat", t=261, layers="up_blocks.1",
    ...                        ensemble=8, seed=[0, 1])
    """
    single = not isinstance(images, (list, tuple)) and not (isinstance(images, np.ndarray) and images.ndim == 4)
    batch = [images] if single else list(images)
    if not batch:
        raise ValueError("images must hold at least one image")
    seeds = [seed] * len(batch) if isinstance(seed, (int, np.integer)) else list(seed)
    if len(seeds) != len(batch) or any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in seeds):
        raise ValueError(f"seed must be an integer or one integer per image ({len(batch)}), got {seed!r}")
    if not isinstance(t, (int, np.integer)) or isinstance(t, bool):
        raise ValueError(f"t must be one integer timestep, got {t!r}")
    if grid is not None and (len(grid) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                                   or v < 1 for v in grid)):
        raise ValueError(f"grid must be (w, h) in feature cells, two integers >= 1, got {grid!r}")
    family, names, timesteps, ensemble = _setup(pipe, layers, t, ensemble, size)
    arrays = [_resized(_rgb(img, "images" if single else f"images[{i}]"), size) for i, img in enumerate(batch)]
    if len({a.shape for a in arrays}) > 1:
        raise ValueError(f"images must share one size (or pass size=(W, H)), got {sorted({a.shape[1::-1] for a in arrays})}")
    _check_side(arrays[0], pipe, "images")
    maps = []
    for img, s in zip(arrays, seeds):
        feats = _block_outputs(pipe, img, prompt, timesteps, names, ensemble, int(s), conditioning, family)
        maps.append(_feature_map([feats[(name, timesteps[0])] for name in names], grid, img, pipe))
    return maps[0] if single else torch.stack(maps)


def _feature_map(blocks: list[torch.Tensor], grid: tuple[int, int] | None, image: np.ndarray, pipe: Any) -> torch.Tensor:
    """(C, h, w): the (1, C_i, h_i, w_i) blocks resized to ``grid`` (w, h; default the latent's size),
    L2-normalised over channels, concatenated, on the CPU."""
    w, h = grid if grid is not None else (image.shape[1] // _vae_factor(pipe), image.shape[0] // _vae_factor(pipe))
    maps = [F.normalize(F.interpolate(f, size=(int(h), int(w)), mode="bilinear", align_corners=False), dim=1)
            for f in blocks]
    return torch.cat(maps, dim=1)[0].cpu()
