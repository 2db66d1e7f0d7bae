"""Loading pipelines: the embedded model, a hub id, a local diffusers folder or a single .safetensors file, of any
model family the engine drives (SD 1.x/2.x, SDXL, the embedded model; see engine/families/).

Every model — ours included — goes through diffusers' ``from_pretrained`` (or ``from_single_file``).
"""

from __future__ import annotations

import os
from typing import Any
from pathlib import Path

import torch

EMBEDDED_DIR = Path(__file__).resolve().parent.parent / "models" / "embedded"
EMBEDDED_ID = "embedded"


class ModelNotAvailableError(ValueError):
    """The model cannot be found locally and cannot be downloaded."""


def _quiet():
    """Silence the loaders' chatter (log lines, progress bars, 'expected types' for our codec) while loading; the
    previous logging state is restored afterwards (see :mod:`dragon_widgets._quiet`)."""
    from .._quiet import quiet_loaders

    return quiet_loaders()


def _offline_message(model: str, err: Exception) -> str:
    return (f"cannot load model {model!r}: it is not a local folder or file, it is not in the Hugging Face cache, "
            f"and downloading it failed ({type(err).__name__}: {str(err).splitlines()[0][:200]}). If this machine "
            f"is offline, download it where you have internet (e.g. `huggingface-cli download {model} "
            f"--local-dir sd15`) and pass the local path: dw.load_pipeline('sd15/') or "
            f"dw.load_pipeline('model.safetensors'). dw.load_pipeline() with no argument loads the embedded model.")


def default_dtype(device: str | torch.device) -> torch.dtype:
    """float16 on a GPU (as the official code runs SD), float32 on the CPU."""
    return torch.float16 if str(device).startswith("cuda") else torch.float32


def check_device(device: Any) -> torch.device:
    """``device`` as a torch.device, or a one-line ``ValueError`` naming it when it is not one or this machine has
    no such device (e.g. "cuda" without a CUDA GPU), before any weights are loaded."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"device must be a torch device such as 'cpu', 'cuda' or 'cuda:1', got {device!r}") from None
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"device {str(device)!r} is not available: this machine has no usable CUDA GPU (or this "
                             f"torch {torch.__version__} was built without CUDA); use device='cpu'")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise ValueError(f"device {str(device)!r} is not available: this machine has "
                             f"{torch.cuda.device_count()} CUDA GPU(s) (cuda:0 … cuda:{torch.cuda.device_count() - 1})")
    elif dev.type == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError(f"device {str(device)!r} is not available: this machine has no Apple MPS device; "
                         "use device='cpu'")
    return dev


def load_pipeline(model: str | os.PathLike | None = None, device: str | torch.device = "cpu",
                  dtype: torch.dtype | None = None, **kwargs):
    """Load a Stable-Diffusion-style diffusers pipeline (SD 1.x/2.x, SDXL or the embedded model).

    ``model``: None / "embedded" (the package's small model), a hub id (e.g.
    "stabilityai/stable-diffusion-xl-base-1.0"), a local diffusers folder, or a single ``.safetensors``/``.ckpt``
    file — SD or SDXL, told apart by its keys or by the ``config=`` folder (extra ``kwargs`` go to diffusers,
    e.g. ``config=`` for single files offline). ``dtype`` defaults to float16 on CUDA and float32 elsewhere. Returns the pipeline on
    ``device`` in ``dtype`` with progress bars off.
    """
    with _quiet():  # importing diffusers' pipelines logs transformers' torchvision warnings
        from diffusers import DiffusionPipeline

        # diffusers only loads components from modules already imported: make our codec class known.
        from ..models import codec  # noqa: F401

    check_device(device)
    if dtype is None:
        dtype = default_dtype(device)
    if not isinstance(dtype, torch.dtype):
        raise TypeError(f"dtype must be a torch.dtype such as torch.float16, got {dtype!r}")
    dtype_kw = _dtype_kw(dtype)
    name = EMBEDDED_ID if model is None else str(model)
    if not name.strip():
        raise ValueError("model must be None (the embedded model), a hub id, a local folder or a checkpoint file, got ''")
    if name != EMBEDDED_ID and Path(name).expanduser().exists():
        name = str(Path(name).expanduser().resolve())  # '~/sd15' works, and edit logs record an absolute path
    with _quiet():
        if name == EMBEDDED_ID:
            if not (EMBEDDED_DIR / "model_index.json").exists():
                raise ModelNotAvailableError(f"the embedded model's weights are missing from {EMBEDDED_DIR}; "
                                             f"reinstall dragon_widgets or train them (python -m dragon_widgets.models.train)")
            pipe = DiffusionPipeline.from_pretrained(str(EMBEDDED_DIR), **dtype_kw, use_safetensors=True,
                                                     local_files_only=True, **kwargs)
        elif Path(name).is_dir():
            pipe = DiffusionPipeline.from_pretrained(name, **dtype_kw, local_files_only=True, **kwargs)
        elif Path(name).is_file():
            if Path(name).suffix not in (".safetensors", ".ckpt"):
                raise ValueError(f"model file must be a .safetensors or .ckpt checkpoint, got {name!r}")
            cls = single_file_class(name, kwargs.get("config"))
            try:
                pipe = cls.from_single_file(name, **dtype_kw, **kwargs)
            except Exception as err:  # diffusers fetches the model's config from the hub for single files
                raise ModelNotAvailableError(
                    f"could not load the single-file checkpoint {name!r} as a {cls.__name__} ({type(err).__name__}: "
                    f"{err}). Offline, pass the matching diffusers config folder: "
                    f"dw.load_pipeline({name!r}, config='path/to/sd15-or-sdxl-folder')"
                ) from err
        elif name.startswith((".", "/", "~")) or name.endswith((".safetensors", ".ckpt")):
            raise ModelNotAvailableError(f"model path {name!r} does not exist")
        else:
            try:
                pipe = DiffusionPipeline.from_pretrained(name, **dtype_kw, local_files_only=True, **kwargs)
            except Exception as local_err:
                if os.environ.get("HF_HUB_OFFLINE", "0") not in ("0", "", "false", "False"):
                    raise ModelNotAvailableError(_offline_message(name, local_err)) from local_err
                try:
                    pipe = DiffusionPipeline.from_pretrained(name, **dtype_kw, **kwargs)
                except Exception as err:
                    raise ModelNotAvailableError(_offline_message(name, err)) from err
    if not hasattr(pipe, "unet") or not hasattr(pipe, "vae"):
        from .families import family_names

        raise ValueError(f"model {name!r} is a {type(pipe).__name__}; a Stable-Diffusion-style pipeline with a "
                         f"UNet and a VAE is needed (SD3/FLUX transformers are not driven); the families are: "
                         f"{family_names()}")
    if not getattr(pipe.config, "_name_or_path", None):  # from_single_file leaves it unset: edit logs need it
        pipe.register_to_config(_name_or_path=name)
    pipe = pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    return pipe


#: a key only SDXL base checkpoints (original layout) have: the second text encoder (OpenCLIP bigG)
_SDXL_KEY = "conditioner.embedders.1."


def single_file_class(path: str, config=None):
    """The pipeline class for a single-file checkpoint: the ``config`` folder's (its model_index.json) if given,
    else SDXL when the checkpoint has SDXL's second text encoder (read from a .safetensors header), else SD."""
    import json

    from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline

    classes = {c.__name__: c for c in (StableDiffusionPipeline, StableDiffusionXLPipeline)}
    index = Path(str(config)).expanduser() / "model_index.json" if config is not None else None
    if index is not None and index.is_file():
        name = json.loads(index.read_text()).get("_class_name")
        if name not in classes:
            from .families import family_names

            raise ValueError(f"config {str(config)!r} describes a {name}; single files load as {sorted(classes)} "
                             f"(the families are: {family_names()})")
        return classes[name]
    if path.endswith(".safetensors"):
        from safetensors import safe_open

        try:
            with safe_open(path, framework="pt") as f:
                if any(k.startswith(_SDXL_KEY) for k in f.keys()):
                    return StableDiffusionXLPipeline
        except Exception:  # not a readable safetensors file: diffusers' loader says what is wrong with it
            pass
    return StableDiffusionPipeline


def _dtype_kw(dtype: torch.dtype) -> dict:
    """The dtype keyword of diffusers' loaders: ``dtype=`` where diffusers deprecates ``torch_dtype=``."""
    try:
        from diffusers.utils import deprecation_utils
    except ImportError:
        return {"torch_dtype": dtype}
    return {"dtype": dtype} if hasattr(deprecation_utils, "_resolve_dtype") else {"torch_dtype": dtype}


def execution_device(pipe) -> torch.device:
    """Where the pipeline's UNet runs: with ``enable_model_cpu_offload()`` the weights wait on the CPU between calls,
    and diffusers names the device they run on."""
    return getattr(pipe, "_execution_device", None) or pipe.unet.device


def model_id(pipe) -> str:
    """How to load this pipeline again: "embedded", a hub id or a path."""
    path = str(getattr(pipe.config, "_name_or_path", "") or "")
    try:
        if path and Path(path).resolve() == EMBEDDED_DIR:
            return EMBEDDED_ID
    except OSError:
        pass
    return path
