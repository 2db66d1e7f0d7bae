"""What every edit mode shares: the compile context, the plan it compiles into, the base class of edits and of
their parameters, and the argument checks."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Callable, ClassVar

import numpy as np
import torch

from ..arguments import number_pair, real_number
from ...core.geometry import to_grid
from ...core.images import resize_mask, to_rgb_array


@dataclass(frozen=True)
class ModeParams:
    """Parameters every mode has (one row of the official table); each mode subclasses it with its own weights,
    named as the mode means them (``MoveParams.w_inpaint``, ``DragParams.w_contrast``, ...)."""

    guidance_scale: float  # classifier-free guidance γ
    energy_scale: float  # multiplies every energy before the gradient (UI value × 1000)
    grad_scale: float  # c: the regional gradient is c·(∇E_edit⊙M + ∇E_rest⊙(1−M))
    w_edit: float  # weight of the edit term (the object / handle / reference goes where it is asked to)
    sde_strength: float = 0.4  # η inside the SDE region during the regional-SDE window
    sde_strength_outside: float = 0.0  # η outside it
    ip_scale: float = 0.1  # image-prompt (IP-Adapter) scale during the image-prompt window
    bank_rule: str = "replace"  # visual cross-attention: "replace" | "concat" | "bgfg"
    bank_steps: tuple[int, int] = (5, 10_000)  # bank attention for start ≤ i < end
    layer_weights: tuple[float, ...] = (0.5, 0.5)  # how the feature layers are combined
    latent_copy: bool = True  # start from the edited initial latent (object noise pasted / drag patch copied)
    # step 0's guidance reference is the starting latent (the edited z_T) instead of the inverted z_T: the official
    # drag copies its patch into its list of inverted latents in place, so its step-0 reference is the patched z_T
    start_reference: bool = False
    # outside the region the edit may change (its edit and SDE regions, dilated by ``anchor_dilate`` latent cells) the
    # latent is set back to the inverted one after each step i with start ≤ i < end, so the rest of the picture comes
    # back exactly as it was; (0, 0) = never (the official method)
    anchor_steps: tuple[int, int] = (0, 0)
    anchor_dilate: int = 1

    #: Plain labels of the numbers the app's Advanced panel shows (subclasses add their weights).
    labels: ClassVar[dict[str, str]] = {
        "guidance_scale": "CFG scale", "energy_scale": "energy scale", "grad_scale": "gradient scale c",
        "w_edit": "w edit", "sde_strength": "SDE η", "ip_scale": "image-prompt scale",
    }
    #: Field names of the version-1 union ``ModeParams`` (edit logs before the per-mode classes) → this class's
    #: name for the same value, or None where the mode never used it (dropped when it is 0).
    legacy: ClassVar[dict[str, str | None]] = {}

    @classmethod
    def from_dict(cls, d: dict) -> "ModeParams":
        """Build from a dict (lists become tuples); accepts the old union field names of logs saved before the
        per-mode classes existed."""
        d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        return cls(**cls.translate(d))

    @classmethod
    def translate(cls, changes: dict) -> dict:
        """``changes`` with old union field names mapped to this class's names (see :attr:`legacy`)."""
        out = dict(changes)
        own = {f.name for f in fields(cls)}
        for old, new in cls.legacy.items():
            if old not in out or old in own:
                continue
            value = out.pop(old)
            if new is not None:  # wins over an old unused field of the same name (drag's old w_contrast)
                out[new] = value
            elif value:
                raise ValueError(f"{cls.__name__} has no parameter {old!r} (that mode never used it); got {old}={value!r}")
        unknown = set(out) - own
        if unknown:
            raise ValueError(f"{cls.__name__} has no parameters {sorted(unknown)}; it has {sorted(own)}")
        return out

    def numbers(self) -> dict[str, str]:
        """name → label of the numeric parameters a user may tune."""
        own = {f.name for f in fields(self)}
        return {k: v for k, v in self.labels.items() if k in own}


@dataclass
class EditContext:
    """What an edit needs to compile: sizes, the source, and a way to invert reference images."""

    input_size: tuple[int, int]  # (W0, H0) of the source image
    size: tuple[int, int]  # working (W, H)
    latent: tuple[int, int]  # latent (w, h)
    grid: tuple[int, int]  # guidance grid (w, h)
    params: Any  # the mode's ModeParams subclass (set by the editor)
    z_T: torch.Tensor
    invert: Callable[[np.ndarray, str], Any]  # working-size uint8 image, prompt → Source
    drag_window: int = 1
    device: Any = "cpu"

    def to_work(self, mask: np.ndarray) -> np.ndarray:
        return resize_mask(mask, self.size)

    def scale_xy(self, p: tuple[float, float]) -> tuple[float, float]:
        return p[0] * self.size[0] / self.input_size[0], p[1] * self.size[1] / self.input_size[1]

    def flat(self, mask: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(np.flatnonzero(mask)).to(self.device)

    def latent_mask(self, work_mask: np.ndarray) -> torch.Tensor:
        m = to_grid(work_mask, self.latent)
        return torch.from_numpy(m.astype(np.float32))[None, None].to(self.device)


@dataclass
class EditPlan:
    mode: str  # key of the preset's mode parameters
    terms: list  # SimilarityTerm
    edit_region: torch.Tensor  # (1, 1, h, w) latent mask M for "edit" gradients (1 − M for "rest")
    sde_region: torch.Tensor  # (1, 1, h, w) where the regional SDE adds noise
    z_T: torch.Tensor
    references: dict[str, Any]  # feature source name → Source ("base" always)
    bank_rule: str
    base_keep: np.ndarray | None = None  # bgfg: working-res mask of base tokens kept
    ref_keep: np.ndarray | None = None  # bgfg: working-res mask of reference tokens used
    ip_image: np.ndarray | None = None
    masks: dict[str, np.ndarray] = field(default_factory=dict)  # for the trace (working res)
    points: list = field(default_factory=list)


class Edit:
    """Base class: every edit has a ``kind``, a preset ``mode``, its parameter class ``Params``,
    ``validate(size)``, ``plan(ctx)`` and ``to_dict()``. Register a new mode with ``@register``."""

    kind: ClassVar[str] = ""
    mode: ClassVar[str] = ""
    Params: ClassVar[type[ModeParams]] = ModeParams

    def validate(self, size: tuple[int, int]) -> "Edit":
        raise NotImplementedError

    def plan(self, ctx: EditContext) -> EditPlan:
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError

    @classmethod
    def from_dict(cls, d: dict) -> "Edit":
        """Inverse of :meth:`to_dict` without ``kind`` (arrays already loaded; a JSON ``offset`` list becomes a
        tuple)."""
        d = dict(d)
        if "offset" in d:
            d["offset"] = tuple(d["offset"])
        return cls(**d)


def as_tensor_idx(a: np.ndarray, device) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.int64)).to(device)


def paste_latent(z: torch.Tensor, dst: np.ndarray, src: np.ndarray, from_z: torch.Tensor | None = None) -> torch.Tensor:
    """Copy latent cells ``src`` (of ``from_z``, default ``z``) to cells ``dst`` of a copy of ``z``."""
    out = z.clone()
    b, c, h, w = z.shape
    src_z = (from_z if from_z is not None else z).reshape(b, c, h * w)
    flat = out.view(b, c, h * w)
    flat[:, :, torch.from_numpy(dst).to(z.device)] = src_z[:, :, torch.from_numpy(src).to(z.device)]
    return out


def check_offset(offset, name: str = "offset") -> tuple[float, float]:
    return number_pair(offset, name, "a pair (dx, dy)")


def check_scale(scale, lo: float = 0.1, hi: float = 4.0) -> float:
    s = real_number(scale, "scale")
    if not (lo <= s <= hi):
        raise ValueError(f"scale must be between {lo} and {hi}, got {s}")
    return s


def check_point(p, size: tuple[int, int], name: str) -> tuple[float, float]:
    x, y = number_pair(p, name, "an (x, y) pair")
    w, h = size
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"{name} = ({x:g}, {y:g}) is outside the {w}×{h} image")
    return x, y


def reference_image(reference, name: str = "reference") -> np.ndarray:
    img = getattr(reference, "image", reference)  # a Source carries its image
    return to_rgb_array(img, name)
