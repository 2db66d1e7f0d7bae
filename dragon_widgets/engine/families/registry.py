"""Which family a pipeline belongs to: the registered families, most specific first."""

from __future__ import annotations

from .base import ModelFamily
from .embedded import Embedded
from .sd import StableDiffusion
from .sdxl import StableDiffusionXL

#: The families dragon_widgets drives, tried in this order (the embedded model is an SD pipeline, so it comes first).
FAMILIES: list[ModelFamily] = [Embedded(), StableDiffusionXL(), StableDiffusion()]


def family_names() -> str:
    """'the embedded model, Stable Diffusion XL, Stable Diffusion 1.x/2.x' — for error messages."""
    return ", ".join(f.label for f in FAMILIES)


def get_family(name: str) -> ModelFamily:
    """A registered family by its ``name`` ("sd", "sdxl", "embedded")."""
    for f in FAMILIES:
        if f.name == name:
            return f
    raise ValueError(f"family must be one of {[f.name for f in FAMILIES]}, got {name!r}")


def family_of(pipe) -> ModelFamily:
    """The family of ``pipe``, checked; ``TypeError`` naming the families that exist if none fits."""
    if not hasattr(pipe, "unet") or not hasattr(pipe, "vae") or not hasattr(pipe, "scheduler"):
        kind = ("a transformer (DiT) pipeline such as SD3 or FLUX" if hasattr(pipe, "transformer")
                else f"not a UNet diffusion pipeline (unet, vae, scheduler)")
        raise TypeError(f"pipe must be a Stable-Diffusion-style diffusers pipeline (unet, vae, scheduler), got "
                        f"{type(pipe).__name__}: {kind}. dragon_widgets drives these families: {family_names()}")
    for family in FAMILIES:
        if family.detect(pipe):
            family.check(pipe)
            return family
    extra = getattr(pipe.unet.config, "addition_embed_type", None)
    raise TypeError(f"pipe: {type(pipe).__name__} is of no family dragon_widgets drives (its UNet's extra "
                    f"conditioning: {extra!r}); the families are: {family_names()}")
