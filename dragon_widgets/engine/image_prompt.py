"""Image prompts through an IP-Adapter loaded into the pipeline: the official DiffEditor adapter
(``dw.load_image_prompt``, see :mod:`.official_image_prompt`) or any diffusers one (``pipe.load_ip_adapter``).

DiffEditor adds an image prompt of the edited content for steps 10 ≤ i < 20. With an adapter loaded,
every UNet call must carry image embeddings, so inversion and the guidance passes carry them at scale 0.
Without an adapter this is a no-op.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


#: Attribute of a loaded adapter's projection (``unet.encoder_hid_proj``) that asks for the prompt image to be
#: resized to that many pixels square before CLIP's preprocessing (set by the official adapter's loader: 256).
PROMPT_SIZE_ATTR = "_dw_prompt_size"


def prompt_image(pipe, image: np.ndarray) -> Image.Image:
    """The image the adapter's image encoder gets: resized to a square of the adapter's prompt size when it asks
    for one (the official adapter: 256², as the official code), else as is (CLIP's preprocessing then crops the
    centre square of a non-square image)."""
    pil = Image.fromarray(image)
    size = getattr(getattr(pipe.unet, "encoder_hid_proj", None), PROMPT_SIZE_ATTR, None)
    return pil.resize((size, size), Image.BICUBIC) if size else pil


def has_ip_adapter(pipe) -> bool:
    return getattr(pipe.unet, "encoder_hid_proj", None) is not None and getattr(pipe, "image_encoder", None) is not None


def _scales(pipe) -> list:
    return [list(p.scale) if isinstance(p.scale, (list, tuple)) else p.scale  # copies: diffusers edits in place
            for p in pipe.unet.attn_processors.values() if hasattr(p, "scale")]


class ImagePrompt:
    """The image-prompt entries of the UNet's ``added_cond_kwargs`` for step ``i`` and batch size (merged with the
    model family's own by :class:`~.conditioning.Conditioning`); the adapter scale is ``scale`` inside ``window``
    (lo ≤ i < hi) and 0 elsewhere. ``restore()`` puts the user's scales back."""

    def __init__(self, pipe, image: np.ndarray | None, scale: float = 0.0, window: tuple[int, int] = (0, 0)):
        self.pipe = pipe
        self.active = has_ip_adapter(pipe) and image is not None
        self.scale, self.window = scale, window
        self._current = None
        if self.active:
            self._saved = _scales(pipe)
            self.embeds = pipe.prepare_ip_adapter_image_embeds(prompt_image(pipe, image), None, pipe.unet.device, 1, True)

    def scale_at(self, i: int) -> float:
        """The adapter scale at step ``i`` (0 outside the window or without an adapter)."""
        lo, hi = self.window
        return self.scale if self.active and lo <= i < hi else 0.0

    def __call__(self, batch: int, i: int) -> dict:
        if not self.active:
            return {}
        scale = self.scale_at(i)
        if scale != self._current:
            self.pipe.set_ip_adapter_scale(scale)
            self._current = scale
        return {"image_embeds": [e if e.shape[0] == batch else e[-batch:] for e in self.embeds]}

    def restore(self) -> None:
        if self.active:
            procs = [p for p in self.pipe.unet.attn_processors.values() if hasattr(p, "scale")]
            for p, s in zip(procs, self._saved):
                p.scale = s
