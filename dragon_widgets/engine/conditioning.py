"""One conditioning object per prompt: everything a UNet call needs besides the latent and the timestep.

A model family encodes a prompt into a :class:`Conditioning` (``editor.embed(prompt)``): the text embeddings of
the prompt and of the negative prompt (the two halves of classifier-free guidance) and the family's *added*
conditioning (SDXL: the pooled text embeddings ``text_embeds`` and the micro-conditioning ``time_ids``). An image
prompt (IP-Adapter) is merged in with :meth:`Conditioning.with_image_prompt`; its embeddings join the
``added_cond_kwargs`` per step. :meth:`Conditioning.unet_kwargs` is the only place that builds the UNet's keyword
arguments.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import torch

if TYPE_CHECKING:
    from .image_prompt import ImagePrompt


@dataclass(frozen=True)
class Conditioning:
    """A prompt and its negative prompt, encoded for one model family (see module docstring).

    ``cond``/``uncond``: (1, L, D) text embeddings (``encoder_hidden_states``); ``added``: the family's
    ``added_cond_kwargs`` as name → (prompt's, negative prompt's), each of batch 1 (empty for SD 1.x/2.x).
    """

    cond: torch.Tensor
    uncond: torch.Tensor
    added: dict[str, tuple[torch.Tensor, torch.Tensor]] = field(default_factory=dict)
    image_prompt: "ImagePrompt | None" = None

    @property
    def device(self) -> torch.device:
        return self.cond.device

    @property
    def dtype(self) -> torch.dtype:
        return self.cond.dtype

    @property
    def cfg_is_noop(self) -> bool:
        """Whether the prompt encodes exactly as the negative prompt (e.g. "" for real images): then classifier-free
        guidance changes nothing and one UNet call per step suffices (unless an image prompt is on)."""
        return torch.equal(self.cond, self.uncond) and all(torch.equal(c, u) for c, u in self.added.values())

    def with_image_prompt(self, image_prompt: "ImagePrompt | None") -> "Conditioning":
        """The same prompt with an image prompt merged in (its embeddings join ``added_cond_kwargs`` per step)."""
        return replace(self, image_prompt=image_prompt)

    def image_prompt_on(self, i: int) -> bool:
        """Whether step ``i`` carries an image prompt (then classifier-free guidance cannot be skipped)."""
        return self.image_prompt is not None and self.image_prompt.scale_at(i) != 0

    def unet_kwargs(self, batch: int, i: int = -1) -> dict:
        """The UNet's keyword arguments for a batch of 1 (the prompt) or 2 (negative prompt, then prompt, the
        classifier-free guidance order) at denoising step ``i`` (``-1``: outside every image-prompt window)."""
        if batch == 1:
            text, added = self.cond, {k: c for k, (c, _u) in self.added.items()}
        elif batch == 2:
            text, added = torch.cat([self.uncond, self.cond]), {k: torch.cat([u, c]) for k, (c, u) in self.added.items()}
        else:
            raise ValueError(f"batch must be 1 (the prompt) or 2 (negative prompt + prompt), got {batch}")
        if self.image_prompt is not None:
            added.update(self.image_prompt(batch, i))
        return {"encoder_hidden_states": text, **({"added_cond_kwargs": added} if added else {})}
