"""Selecting UNet modules by name pattern (as diffusers' PAG mixin selects its layers), not by block index.

A pattern is a regular expression over the names of ``unet.named_modules()``. A *feature* pattern names one
module exactly (its output is a guidance feature map: ``"up_blocks.1"``); a *bank* pattern names a module and
everything inside it (``"up_blocks.1"`` covers ``up_blocks.1.attentions.0.transformer_blocks.0.attn1`` but not
``up_blocks.10``), of which the self-attention layers carry the memory bank.
"""

from __future__ import annotations

import re
from collections.abc import Sequence


def covers(pattern: str, name: str) -> bool:
    """Whether module ``name`` is the module ``pattern`` names or lies inside it."""
    return re.fullmatch(rf"(?:{pattern})(?:\..+)?", name) is not None


def _blocks(unet) -> str:
    """The UNet's blocks, for error messages: 'down_blocks.0, ..., mid_block, up_blocks.0, ...'."""
    import torch

    out = []
    for n, m in unet.named_children():
        if isinstance(m, torch.nn.ModuleList):
            out += [f"{n}.{i}" for i in range(len(m))]
        elif n == "mid_block" and m is not None:
            out.append(n)
    return ", ".join(out)


def feature_layers(unet, patterns: Sequence[str]) -> list[str]:
    """The module names ``patterns`` select, one module per pattern, in the patterns' order."""
    if not patterns:
        raise ValueError("feature_layers must name at least one UNet module, got none")
    names = [n for n, _ in unet.named_modules() if n]
    out = []
    for p in patterns:
        hit = [n for n in names if re.fullmatch(p, n)]
        if len(hit) != 1:
            raise ValueError(f"feature_layers pattern {p!r} must name exactly one module of this UNet, it names "
                             f"{len(hit)}{' ' + str(hit[:4]) if hit else ''}; its blocks are {_blocks(unet)}")
        out.append(hit[0])
    return out


def self_attention_layers(unet, patterns: Sequence[str]) -> list[str]:
    """Processor names (``<module>.processor``, the keys of ``unet.attn_processors``) of the self-attention layers
    inside the modules ``patterns`` cover, in the UNet's order."""
    from diffusers.models.attention_processor import Attention

    out = [f"{n}.processor" for n, m in unet.named_modules()
           if isinstance(m, Attention) and not m.is_cross_attention and any(covers(p, n) for p in patterns)]
    if not out:
        raise ValueError(f"bank_layers {tuple(patterns)} cover no self-attention layer of this UNet; "
                         f"its blocks are {_blocks(unet)}")
    return out
