"""The memory bank: what DDIM inversion (or generation) remembers of the source image.

It holds the latent at every noise level (``z_t^gud``, the guidance branch's input) and the projected
self-attention keys/values of the decoder layers the preset names, per timestep. Visual
cross-attention reads it back during editing. It is an explicit object passed around — nothing is
hung on the model's modules.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class MemoryBank:
    timesteps: list[int]  # denoising order, noisiest first (t_0 > t_1 > ... )
    latents: list[torch.Tensor] = field(default_factory=list)  # latents[k]: after k inversion steps (latents[0] = z_0)
    kv: dict[str, dict[int, tuple[torch.Tensor, torch.Tensor]]] = field(default_factory=dict)  # layer → t → (K, V)
    token_grids: dict[str, tuple[int, int]] = field(default_factory=dict)  # layer → (h, w) of its tokens
    device: str | torch.device | None = None  # None = keep tensors where they were computed
    dtype: torch.dtype | None = None  # None = keep the model's dtype

    @property
    def num_steps(self) -> int:
        return len(self.timesteps)

    @property
    def layers(self) -> list[str]:
        return list(self.kv)

    @property
    def z_T(self) -> torch.Tensor:
        return self.latents[-1]

    def guidance_latent(self, step: int) -> torch.Tensor:
        """The inverted latent at the noise level of denoising step ``step`` (z_t^gud)."""
        return self.latents[self.num_steps - step]

    def store(self, layer: str, t: int, k: torch.Tensor, v: torch.Tensor, grid: tuple[int, int]) -> None:
        kw = dict(device=self.device, dtype=self.dtype) if (self.device or self.dtype) else {}
        # copy=True: a slice of the CFG batch must not keep the whole batch's storage alive
        self.kv.setdefault(layer, {})[int(t)] = (k.detach().to(**kw, copy=True), v.detach().to(**kw, copy=True))
        self.token_grids[layer] = grid

    def get(self, layer: str, t: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(K, V) of ``layer`` at timestep ``t`` on ``like``'s device and dtype."""
        try:
            k, v = self.kv[layer][int(t)]
        except KeyError:
            raise KeyError(f"memory bank has no K/V for layer {layer!r} at timestep {t}; was it built with "
                           f"the same number of steps ({self.num_steps})?") from None
        return k.to(like.device, like.dtype), v.to(like.device, like.dtype)

    @property
    def nbytes(self) -> int:
        kv = sum(k.numel() * k.element_size() + v.numel() * v.element_size()
                 for per_t in self.kv.values() for k, v in per_t.values())
        return kv + sum(z.numel() * z.element_size() for z in self.latents)

    def describe(self) -> str:
        return (f"MemoryBank({self.num_steps} steps, {len(self.latents)} latents, {len(self.kv)} layers, "
                f"{self.nbytes / 2**20:.1f} MiB)")

    __repr__ = describe
