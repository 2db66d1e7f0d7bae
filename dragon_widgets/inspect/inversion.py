"""How faithful DDIM inversion is: invert an image, sample it back without any edit, compare.

Classic DDIM inversion predicts each step's noise from the latent it starts from, not the one it solves for,
so the trajectory drifts and sampling back does not return the image. ``preset.inversion_refine`` adds
fixed-point iterations that fix this (one more UNet call each); see ``dragon_widgets.engine.sampler``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core.psnr import psnr


@dataclass(frozen=True)
class Reconstruction:
    """The image sampled back from an inversion made with ``refine`` fixed-point iterations per step."""

    refine: int
    image: np.ndarray  # uint8 (H, W, 3) at the working size
    psnr: float  # dB against the (working-size) input image
    seconds: float  # inversion + reconstruction


def reconstructions(editor: Any, image: Any, prompt: str = "", refines: tuple[int, ...] = (0, 1)) -> list[Reconstruction]:
    """Invert ``image`` with each ``inversion_refine`` in ``refines`` (the editor's preset otherwise) and sample
    it back with ``editor.reconstruct``; the editor itself is not changed."""
    if not refines or any(int(r) < 0 for r in refines):
        raise ValueError(f"refines must be a non-empty sequence of iteration counts ≥ 0, got {refines!r}")
    out = []
    for r in refines:
        t0 = time.perf_counter()
        src = editor.invert(image, prompt=prompt, preset=editor.preset.replace(inversion_refine=int(r)))
        rec = editor.reconstruct(src)
        out.append(Reconstruction(int(r), rec, psnr(rec, src.work_image), time.perf_counter() - t0))
    return out
