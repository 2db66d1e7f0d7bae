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


def _block_of(name: str) -> str:
    """The block a module lies in: 'up_blocks.1.attentions.0' -> 'up_blocks.1', 'mid_block.attentions.0' -> 'mid_block'."""
    parts = name.split(".")
    return ".".join(parts[:2]) if parts[0].endswith("_blocks") else parts[0]


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
    inside the modules ``patterns`` cover, in the UNet's order.

    Every pattern must cover at least one self-attention layer: a pattern that covers none (SD's ``"up_blocks.3"`` on
    a UNet without attention at full latent resolution, such as the second embedded model's) is a ``ValueError``
    naming it, never a silently smaller memory bank."""
    from diffusers.models.attention_processor import Attention

    selfattn = [n for n, m in unet.named_modules() if isinstance(m, Attention) and not m.is_cross_attention]
    where = ", ".join(dict.fromkeys(_block_of(n) for n in selfattn)) or "no block"
    empty = [p for p in patterns if not any(covers(p, n) for n in selfattn)]
    if not patterns or len(empty) == len(patterns):
        what = f"bank_layers {tuple(patterns)} cover no self-attention layer of this UNet"
    elif empty:
        what = (f"bank_layers pattern{'s' if len(empty) > 1 else ''} {', '.join(map(repr, empty))} of "
                f"{tuple(patterns)} cover{'' if len(empty) > 1 else 's'} no self-attention layer of this UNet "
                f"(every pattern must cover at least one)")
    if empty or not patterns:
        raise ValueError(f"{what}; its self-attention is in {where}; its blocks are {_blocks(unet)}")
    return [f"{n}.processor" for n in selfattn if any(covers(p, n) for p in patterns)]
