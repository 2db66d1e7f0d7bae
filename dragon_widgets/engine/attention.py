"""Visual cross-attention through diffusers attention processors.

:class:`BankAttnProcessor` replaces the processor of each self-attention layer the preset's
``bank_layers`` patterns select (the model family resolves them: ``engine/families/layers.py``). A shared :class:`BankControl` says what all of them do on the current UNet call:

* ``record``: compute normal attention and store this layer's K/V in a :class:`MemoryBank`;
* ``apply``: attend with the bank's K/V per the rule — ``replace`` own K/V, ``concat`` them after own
  K/V, or ``bgfg`` (base-image tokens outside the edit ∪ reference-image tokens inside its object);
* ``off``: plain attention.

:func:`installed` swaps the processors in with ``unet.set_attn_processor`` and always restores the
pipeline's own afterwards.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from ..core.images import resize_mask
from .memory import MemoryBank


@dataclass
class BankControl:
    mode: str = "off"  # "off" | "record" | "apply"
    t: int = 0
    bank: MemoryBank | None = None  # recorded into (record) or read (apply)
    ref_bank: MemoryBank | None = None  # second bank for "bgfg"
    rule: str = "replace"
    base_keep: np.ndarray | None = None  # working-res bool mask of base tokens to keep (bgfg)
    ref_keep: np.ndarray | None = None  # working-res bool mask of reference tokens to use (bgfg)
    latent_hw: tuple[int, int] = (0, 0)
    capture: dict | None = None  # when a dict: layer → {"q", "k", "heads", "grid"} of the last batch entry
    capturing: bool = False  # capture only on the sampler's own UNet call, not the feature passes
    _token_masks: dict = field(default_factory=dict)

    def token_mask(self, which: str, grid: tuple[int, int], device) -> torch.Tensor:
        key = (which, grid)
        if key not in self._token_masks:
            src = self.base_keep if which == "base" else self.ref_keep
            m = resize_mask(src, (grid[1], grid[0]))
            self._token_masks[key] = torch.from_numpy(m.ravel())
        return self._token_masks[key].to(device)


def token_grid(n_tokens: int, latent_hw: tuple[int, int]) -> tuple[int, int]:
    """(h, w) of a layer's token grid from its token count and the latent size."""
    lh, lw = latent_hw
    s = math.sqrt(lh * lw / n_tokens)
    return int(round(lh / s)), int(round(lw / s))


class BankAttnProcessor:
    """Self-attention with memory-bank K/V (see module docstring)."""

    def __init__(self, name: str, control: BankControl):
        self.name = name
        self.control = control

    def _bank_kv(self, k: torch.Tensor, v: torch.Tensor, grid: tuple[int, int]) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.control
        b = k.shape[0]
        bk, bv = c.bank.get(self.name, c.t, k)
        if c.rule == "replace":
            return bk.expand(b, -1, -1), bv.expand(b, -1, -1)
        if c.rule == "concat":
            return torch.cat([k, bk.expand(b, -1, -1)], 1), torch.cat([v, bv.expand(b, -1, -1)], 1)
        if c.rule == "bgfg":
            rk, rv = c.ref_bank.get(self.name, c.t, k)
            keep_b = c.token_mask("base", grid, k.device)
            keep_r = c.token_mask("ref", grid, k.device)
            kk = torch.cat([bk[:, keep_b], rk[:, keep_r]], 1)
            vv = torch.cat([bv[:, keep_b], rv[:, keep_r]], 1)
            return kk.expand(b, -1, -1), vv.expand(b, -1, -1)
        raise ValueError(f"unknown bank rule {c.rule!r}; expected 'replace', 'concat' or 'bgfg'")

    def __call__(self, attn, hidden_states, encoder_hidden_states=None, attention_mask=None, temb=None,
                 *args, **kwargs):
        residual = hidden_states
        if attn.spatial_norm is not None:
            hidden_states = attn.spatial_norm(hidden_states, temb)
        input_ndim = hidden_states.ndim
        if input_ndim == 4:
            bsz, ch, height, width = hidden_states.shape
            hidden_states = hidden_states.view(bsz, ch, height * width).transpose(1, 2)
        bsz, n_tok, _ = hidden_states.shape
        if attention_mask is not None:
            attention_mask = attn.prepare_attention_mask(attention_mask, n_tok, bsz)
            attention_mask = attention_mask.view(bsz, attn.heads, -1, attention_mask.shape[-1])
        if attn.group_norm is not None:
            hidden_states = attn.group_norm(hidden_states.transpose(1, 2)).transpose(1, 2)
        q = attn.to_q(hidden_states)
        ctx = hidden_states if encoder_hidden_states is None else encoder_hidden_states
        k = attn.to_k(ctx)
        v = attn.to_v(ctx)

        c = self.control
        grid = token_grid(n_tok, c.latent_hw) if c.latent_hw[0] else (1, n_tok)
        if c.mode == "record" and c.bank is not None:
            c.bank.store(self.name, c.t, k[-1:], v[-1:], grid)
        elif c.mode == "apply" and c.bank is not None:
            k, v = self._bank_kv(k, v, grid)
            attention_mask = None  # token count changed; self-attention has no mask
        if c.capture is not None and c.capturing:
            c.capture[self.name] = {"q": q[-1].detach().to("cpu", torch.float16),
                                    "k": k[-1].detach().to("cpu", torch.float16),
                                    "heads": attn.heads, "grid": grid}

        head_dim = q.shape[-1] // attn.heads
        q = q.view(bsz, -1, attn.heads, head_dim).transpose(1, 2)
        k = k.reshape(bsz, -1, attn.heads, head_dim).transpose(1, 2)
        v = v.reshape(bsz, -1, attn.heads, head_dim).transpose(1, 2)
        if getattr(attn, "norm_q", None) is not None:
            q = attn.norm_q(q)
        if getattr(attn, "norm_k", None) is not None:
            k = attn.norm_k(k)
        out = F.scaled_dot_product_attention(q, k, v, attn_mask=attention_mask, dropout_p=0.0, is_causal=False)
        out = out.transpose(1, 2).reshape(bsz, -1, attn.heads * head_dim).to(q.dtype)
        out = attn.to_out[0](out)
        out = attn.to_out[1](out)
        if input_ndim == 4:
            out = out.transpose(-1, -2).reshape(bsz, ch, height, width)
        if attn.residual_connection:
            out = out + residual
        return out / attn.rescale_output_factor


@contextmanager
def installed(unet, names: list[str], control: BankControl):
    """Install bank processors on ``names``; restore the pipeline's processors on exit, whatever happens."""
    saved = dict(unet.attn_processors)
    new = dict(saved)
    for n in names:
        new[n] = BankAttnProcessor(n, control)
    unet.set_attn_processor(new)
    try:
        yield control
    finally:
        unet.set_attn_processor(saved)
