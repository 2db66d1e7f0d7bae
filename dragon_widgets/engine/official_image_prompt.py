"""The official DiffEditor image prompt: the authors' adapter ``ip_sd15_64.bin`` in diffusers' IP-Adapter-Plus
machinery.

The official code (MC-E/DragonDiffusion) always runs its own image-prompt adapter: a perceiver resampler of depth 4
(12 heads of 64, 64 queries) over the penultimate hidden states of CLIP ViT-H/14 (``h94/IP-Adapter``,
``models/image_encoder``), and one decoupled to_k_ip/to_v_ip pair per cross-attention. Its file is a torch state
dict ``{"image_proj": resampler, "ip_adapter": {"1.to_k_ip.weight", "1.to_v_ip.weight", "3.…", …}}`` (the
processors' indices in the UNet's ``attn_processors`` order, cross-attentions at odd indices): the layout of
IP-Adapter-Plus, which diffusers converts. The image is resized to 256×256 before CLIP's own preprocessing.

Get the weights with
``huggingface-cli download Adapter/DragonDiffusion model/ip_sd15_64.bin --local-dir .``
(the file the official ``download.py`` fetches). Without them the editor runs the method with text-only
cross-attention (no image prompt), see docs/differences.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import torch

from .image_prompt import PROMPT_SIZE_ATTR
from .pipeline import ModelNotAvailableError

#: Where the official code downloads the adapter from (``src/demo/download.py``).
OFFICIAL_WEIGHTS_URL = "https://huggingface.co/Adapter/DragonDiffusion/resolve/main/model/ip_sd15_64.bin"
#: The CLIP image encoder the official code uses (hub id, subfolder).
OFFICIAL_IMAGE_ENCODER = ("h94/IP-Adapter", "models/image_encoder")
#: The official resampler: depth 4, heads of 64 channels (``Resampler(depth=4, dim_head=64, heads=12, …)``).
RESAMPLER_DEPTH = 4
RESAMPLER_DIM_HEAD = 64
#: The official code resizes the image prompt to 256×256 before CLIP's preprocessing.
OFFICIAL_PROMPT_SIZE = 256
#: The official default image-prompt scale (the presets' per-mode ``ip_scale`` applies during edits).
OFFICIAL_SCALE = 0.1


def _resampler_keys(depth: int) -> set[str]:
    keys = {"latents", "proj_in.weight", "proj_in.bias", "proj_out.weight", "proj_out.bias", "norm_out.weight",
            "norm_out.bias"}
    for i in range(depth):
        a, f = f"layers.{i}.0", f"layers.{i}.1"
        keys |= {f"{a}.norm1.weight", f"{a}.norm1.bias", f"{a}.norm2.weight", f"{a}.norm2.bias", f"{a}.to_q.weight",
                 f"{a}.to_kv.weight", f"{a}.to_out.weight", f"{f}.0.weight", f"{f}.0.bias", f"{f}.1.weight",
                 f"{f}.3.weight"}
    return keys


def _listing(keys) -> str:
    keys = sorted(keys)
    return ", ".join(keys[:6]) + (f", … ({len(keys)} in all)" if len(keys) > 6 else "")


def read_official_checkpoint(path: str | os.PathLike) -> dict[str, dict[str, torch.Tensor]]:
    """Read ``ip_sd15_64.bin`` (tensors only: ``torch.load(weights_only=True)``) and check its layout: the
    official resampler (depth 4) under ``image_proj`` and ``{k}.to_k_ip/to_v_ip.weight`` pairs under ``ip_adapter``."""
    p = Path(path).expanduser()
    if not p.is_file():
        raise FileNotFoundError(f"path {str(path)!r} is not a file; download the official adapter with "
                                f"`huggingface-cli download Adapter/DragonDiffusion model/ip_sd15_64.bin --local-dir .` "
                                f"({OFFICIAL_WEIGHTS_URL})")
    try:
        sd = torch.load(str(p), map_location="cpu", weights_only=True)
    except Exception as err:
        raise ValueError(f"path {str(path)!r} is not a torch state dict of tensors ({type(err).__name__}: "
                         f"{str(err).splitlines()[0][:200]})") from err
    if not isinstance(sd, dict) or not isinstance(sd.get("image_proj"), dict) or not isinstance(sd.get("ip_adapter"), dict):
        got = sorted(sd)[:6] if isinstance(sd, dict) else type(sd).__name__
        raise ValueError(f"path {str(path)!r}: expected the official layout {{'image_proj': {{…}}, 'ip_adapter': {{…}}}}, "
                         f"got {got}")
    proj, ip = sd["image_proj"], sd["ip_adapter"]
    expected = _resampler_keys(RESAMPLER_DEPTH)
    if set(proj) != expected:
        missing, extra = expected - set(proj), set(proj) - expected
        raise ValueError(f"path {str(path)!r}: image_proj is not the official depth-{RESAMPLER_DEPTH} resampler"
                         + (f"; missing {_listing(missing)}" if missing else "")
                         + (f"; unexpected {_listing(extra)}" if extra else ""))
    inner = proj["layers.0.0.to_q.weight"].shape[0]
    if proj["latents"].ndim != 3 or inner % RESAMPLER_DIM_HEAD:
        raise ValueError(f"path {str(path)!r}: image_proj has latents of shape {tuple(proj['latents'].shape)} and "
                         f"attention width {inner}; expected (1, tokens, dim) and heads of {RESAMPLER_DIM_HEAD}")
    bad = [k for k in ip if not re.fullmatch(r"\d+\.to_[kv]_ip\.weight", k)]
    if bad or not ip:
        raise ValueError(f"path {str(path)!r}: ip_adapter must hold '<index>.to_k_ip.weight'/'<index>.to_v_ip.weight' "
                         f"entries, got {_listing(bad or ['nothing'])}")
    return {"image_proj": proj, "ip_adapter": ip}


def _check_fits(sd: dict, unet, encoder, path) -> None:
    """The adapter's sizes must match the UNet's cross-attentions and the image encoder."""
    proj, ip = sd["image_proj"], sd["ip_adapter"]
    cross = [(name, m) for name, m in unet.named_modules() if name.endswith("attn2")]
    keys = {f"{2 * j + 1}.to_{kv}_ip.weight" for j in range(len(cross)) for kv in "kv"}
    if set(ip) != keys:
        raise ValueError(f"path {str(path)!r}: ip_adapter has {len(ip) // 2} key/value pairs but the UNet has "
                         f"{len(cross)} cross-attentions (expected indices 1, 3, …, {2 * len(cross) - 1})")
    dim = unet.config.cross_attention_dim
    if proj["proj_out.weight"].shape[0] != dim:
        raise ValueError(f"path {str(path)!r}: the resampler makes {proj['proj_out.weight'].shape[0]}-channel tokens but "
                         f"the UNet's cross_attention_dim is {dim} (the official adapter is for SD-1.5)")
    for j, (name, m) in enumerate(cross):
        want = (m.to_k.weight.shape[0], dim)
        for kv in "kv":
            got = tuple(ip[f"{2 * j + 1}.to_{kv}_ip.weight"].shape)
            if got != want:
                raise ValueError(f"path {str(path)!r}: ip_adapter '{2 * j + 1}.to_{kv}_ip.weight' has shape {got}, but "
                                 f"{name} needs {want}")
    width = proj["proj_in.weight"].shape[1]
    if encoder.config.hidden_size != width:
        raise ValueError(f"image_encoder: its hidden size is {encoder.config.hidden_size} but the adapter's resampler "
                         f"reads {width}-channel CLIP states (the official adapter needs CLIP ViT-H/14, "
                         f"{OFFICIAL_IMAGE_ENCODER[0]} {OFFICIAL_IMAGE_ENCODER[1]})")


def _image_encoder(image_encoder: Any, subfolder: str):
    from transformers import CLIPVisionModelWithProjection

    if isinstance(image_encoder, CLIPVisionModelWithProjection):
        return image_encoder
    if not isinstance(image_encoder, (str, os.PathLike)):
        raise TypeError(f"image_encoder must be a CLIPVisionModelWithProjection, a local folder or a hub id, "
                        f"got {type(image_encoder).__name__}")
    name = str(image_encoder)
    folder = Path(name).expanduser()
    if folder.is_dir():
        if subfolder and (folder / subfolder / "config.json").exists():
            folder = folder / subfolder
        return CLIPVisionModelWithProjection.from_pretrained(str(folder), local_files_only=True)
    try:
        return CLIPVisionModelWithProjection.from_pretrained(name, subfolder=subfolder, local_files_only=True)
    except Exception:
        pass
    try:
        return CLIPVisionModelWithProjection.from_pretrained(name, subfolder=subfolder)
    except Exception as err:
        raise ModelNotAvailableError(
            f"cannot load the image encoder {name!r} (subfolder {subfolder!r}): not local and the download failed "
            f"({type(err).__name__}). Offline, download it where you have internet "
            f"(`huggingface-cli download {OFFICIAL_IMAGE_ENCODER[0]} --include '{OFFICIAL_IMAGE_ENCODER[1]}/*' "
            f"--local-dir ip`) and pass image_encoder='ip/{OFFICIAL_IMAGE_ENCODER[1]}'") from err


def load_image_prompt(pipe, path: str | os.PathLike, image_encoder: Any = OFFICIAL_IMAGE_ENCODER[0], *,
                      subfolder: str = OFFICIAL_IMAGE_ENCODER[1], prompt_size: int = OFFICIAL_PROMPT_SIZE,
                      scale: float = OFFICIAL_SCALE):
    """Load the official DiffEditor image-prompt adapter ``ip_sd15_64.bin`` into ``pipe`` (in place; returns it).

    ``image_encoder``: the CLIP ViT-H/14 vision model (a ``CLIPVisionModelWithProjection``, a local folder, or a
    hub id with ``subfolder``; default the official ``h94/IP-Adapter`` ``models/image_encoder``). The editor then
    uses the image prompt as the official code: the mode's ``ip_scale`` (0.1, face/landmark 0.05) for steps in the
    preset's ``ip_window`` (10–19), the image resized to ``prompt_size``² (256) before CLIP's preprocessing.
    ``pipe.unload_ip_adapter()`` removes it.
    """
    from transformers import CLIPImageProcessor

    if not hasattr(pipe, "unet") or not hasattr(pipe, "load_ip_adapter"):
        raise TypeError(f"pipe must be a Stable-Diffusion-style diffusers pipeline that supports IP-Adapters, "
                        f"got {type(pipe).__name__}")
    if not isinstance(prompt_size, int) or prompt_size < 1:
        raise ValueError(f"prompt_size must be a positive int (pixels), got {prompt_size!r}")
    sd = read_official_checkpoint(path)
    encoder = _image_encoder(image_encoder, subfolder)
    _check_fits(sd, pipe.unet, encoder, path)
    encoder = encoder.to(pipe.unet.device, pipe.unet.dtype).eval()
    size = encoder.config.image_size  # the official CLIPImageProcessor(): 224 for ViT-H/14
    pipe.register_modules(image_encoder=encoder,
                          feature_extractor=CLIPImageProcessor(size=size, crop_size=size))
    pipe.load_ip_adapter(sd, subfolder="", weight_name="", image_encoder_folder=None)
    setattr(pipe.unet.encoder_hid_proj, PROMPT_SIZE_ATTR, prompt_size)
    pipe.set_ip_adapter_scale(scale)
    return pipe
