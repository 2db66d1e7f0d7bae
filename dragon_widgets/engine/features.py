"""Guidance features: outputs of chosen decoder blocks, taken from the one UNet with forward hooks.

The forward pass stops right after the last requested block (the official code loads a second,
truncated UNet for this; we reuse the pipeline's own UNet), so the gradient of an energy flows back
to the latent through exactly the layers that produced the features.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class _Stop(Exception):
    """Raised by the last hook to end the forward pass early."""


def block_outputs(unet, z: torch.Tensor, t, emb: torch.Tensor, blocks: tuple[int, ...],
                  **unet_kwargs) -> list[torch.Tensor]:
    """Outputs of ``unet.up_blocks[b]`` for each b in ``blocks`` (after their upsamplers)."""
    outs: dict[int, torch.Tensor] = {}
    last = max(blocks)
    handles = []

    def hook(idx):
        def fn(_module, _inp, out):
            outs[idx] = out[0] if isinstance(out, tuple) else out
            if idx == last:
                raise _Stop
        return fn

    for b in blocks:
        handles.append(unet.up_blocks[b].register_forward_hook(hook(b)))
    try:
        unet(z.to(unet.dtype), t, encoder_hidden_states=emb, **unet_kwargs)
    except _Stop:
        pass
    finally:
        for h in handles:
            h.remove()
    return [outs[b] for b in blocks]


def to_guidance_grid(feature: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """A (B, C, h, w) block output resized (nearest, as the official code) to the guidance ``grid`` (w, h)."""
    return F.interpolate(feature, size=(grid[1], grid[0]), mode="nearest")

