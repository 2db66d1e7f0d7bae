"""UNet module outputs by forward hooks: the one capture the guidance features (the model family's preset names
the modules by pattern) and the DIFT features of :mod:`.dift` both use.

The forward pass stops as soon as every requested module has produced its output (the official code loads a
second, truncated UNet for this; we reuse the pipeline's own UNet), so the gradient of an energy flows back
to the latent through exactly the layers that produced the features.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F


class _Stop(Exception):
    """Raised by the last hook to end the forward pass early."""


def available_layers(unet) -> list[str]:
    """Names of the UNet blocks whose outputs can be taken, in forward order: down_blocks.i, mid_block, up_blocks.i."""
    names = [f"down_blocks.{i}" for i in range(len(unet.down_blocks))]
    if getattr(unet, "mid_block", None) is not None:
        names.append("mid_block")
    return names + [f"up_blocks.{i}" for i in range(len(unet.up_blocks))]


def layer_outputs(unet, z: torch.Tensor, t, layers: Sequence[str], *,
                  keep: Callable[[torch.Tensor], torch.Tensor] | None = None, **unet_kwargs) -> list[torch.Tensor]:
    """Outputs of the modules named ``layers`` (e.g. ``up_blocks.1``: after its upsampler), in that order; the
    forward pass ends after the last of them. ``keep`` (optional) is applied to each output as it is captured
    (e.g. a detached float copy on the CPU). ``unet_kwargs``: the conditioning's UNet keyword arguments
    (``encoder_hidden_states``, ...)."""
    outs: dict[str, torch.Tensor] = {}
    handles = []

    def hook(name):
        def fn(_module, _inp, out):
            out = out[0] if isinstance(out, tuple) else out
            outs[name] = out if keep is None else keep(out)
            if len(outs) == len(layers):
                raise _Stop
        return fn

    for name in layers:
        handles.append(unet.get_submodule(name).register_forward_hook(hook(name)))
    try:
        unet(z.to(unet.dtype), t, **unet_kwargs)
    except _Stop:
        pass
    finally:
        for h in handles:
            h.remove()
    return [outs[name] for name in layers]


def to_guidance_grid(feature: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """A (B, C, h, w) block output resized (nearest, as the official code) to the guidance ``grid`` (w, h)."""
    return F.interpolate(feature, size=(grid[1], grid[0]), mode="nearest")
