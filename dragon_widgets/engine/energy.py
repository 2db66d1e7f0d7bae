"""Energy terms on cosine similarities of decoder features (DragonDiffusion §4).

All modes are built from one small term: a :class:`SimilarityTerm` compares current features at some
grid cells with reference features at paired cells, pools the cosine locally (mean of per-cell
cosines) or globally (cosine of mean features), optionally normalises it to [0, 1], and turns it into
an energy — *attract* ``w / (1 + β·sim)`` or *repel* ``w·sim``. Features are lists over layers of
(C, h, w) tensors already resized to the guidance grid.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
import torch.nn.functional as F


def local_similarity(cur: torch.Tensor, ref: torch.Tensor, cur_idx: torch.Tensor, ref_idx: torch.Tensor) -> torch.Tensor:
    """Mean over paired cells of cos(cur[:, i], ref[:, j]); features (C, h, w), flat indices."""
    a = cur.flatten(1)[:, cur_idx].float()
    b = ref.flatten(1)[:, ref_idx].float()
    return F.cosine_similarity(a, b, dim=0).mean()


def global_similarity(cur: torch.Tensor, ref: torch.Tensor, cur_idx: torch.Tensor, ref_idx: torch.Tensor) -> torch.Tensor:
    """cos(mean of cur over its cells, mean of ref over its cells)."""
    a = cur.flatten(1)[:, cur_idx].float().mean(1)
    b = ref.flatten(1)[:, ref_idx].float().mean(1)
    return F.cosine_similarity(a, b, dim=0)


POOLINGS = {"local": local_similarity, "global": global_similarity}


@dataclass
class SimilarityTerm:
    """One energy term. ``groups`` holds (current cells, reference cells) index pairs; the energy is the
    layer-weighted sum over layers of the mean over groups of the attract/repel form."""

    name: str  # "edit", "content", "contrast", "inpaint"
    form: str  # "attract" | "repel"
    weight: float
    region: str  # which regional gradient mask applies: "edit" | "rest" | "all"
    ref: str  # which reference features: "base" | "reference"
    groups: list[tuple[torch.Tensor, torch.Tensor]]
    pooling: str = "local"
    normalized: bool = False
    layer_weights: tuple[float, ...] = field(default=(0.5, 0.5))
    count: int | None = None  # the per-layer mean divides the sum over groups by this (default: len(groups))

    def __post_init__(self) -> None:
        if self.form not in ("attract", "repel"):
            raise ValueError(f"form must be 'attract' or 'repel', got {self.form!r}")
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {sorted(POOLINGS)}, got {self.pooling!r}")
        for ci, ri in self.groups:
            if self.pooling == "local" and ci.numel() != ri.numel():
                raise ValueError(f"term {self.name!r}: local pooling needs as many current as reference cells")

    def similarity(self, cur: torch.Tensor, ref: torch.Tensor) -> list[torch.Tensor]:
        sims = [POOLINGS[self.pooling](cur, ref, ci, ri) for ci, ri in self.groups]
        return [(s + 1) / 2 for s in sims] if self.normalized else sims

    def energy(self, cur: list[torch.Tensor], refs: dict[str, list[torch.Tensor]], beta: float) -> torch.Tensor:
        ref = refs[self.ref]
        if not len(self.layer_weights) == len(cur) == len(ref):
            raise ValueError(f"term {self.name!r}: {len(self.layer_weights)} layer weights for {len(cur)} current and "
                             f"{len(ref)} reference feature layers")
        total = cur[0].new_zeros((), dtype=torch.float32)
        for lw, c, r in zip(self.layer_weights, cur, ref):
            sims = self.similarity(c, r)
            vals = [self.weight / (1 + beta * s) if self.form == "attract" else self.weight * s for s in sims]
            total = total + lw * torch.stack(vals).sum() / (self.count or len(vals))
        return total

    @property
    def empty(self) -> bool:
        return not self.groups or any(ci.numel() == 0 for ci, _ in self.groups)


def identity_group(mask_flat_idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Same cells in current and reference features."""
    return mask_flat_idx, mask_flat_idx
