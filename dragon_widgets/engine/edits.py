"""Edit requests as data: Move (and resize), Drag, ReplaceAppearance, Paste.

Each edit validates itself against the input image and compiles into an :class:`EditPlan` — energy
terms, gradient regions, the initial-latent edit and the memory-bank rule — which the one sampler
loop runs without knowing which mode it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar

import numpy as np
import torch
from PIL import Image

from .energy import SimilarityTerm, identity_group
from .geometry import Affine, check_inside, mask_center, point_cell, shift_mask, to_grid, warp_mask_indices, window_indices
from .images import resize_mask, resize_rgb, to_mask, to_rgb_array


@dataclass
class EditContext:
    """What an edit needs to compile: sizes, the source, and a way to invert reference images."""

    input_size: tuple[int, int]  # (W0, H0) of the source image
    size: tuple[int, int]  # working (W, H)
    latent: tuple[int, int]  # latent (w, h)
    grid: tuple[int, int]  # guidance grid (w, h)
    params: Any  # ModeParams of the mode (set by the editor)
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
    terms: list[SimilarityTerm]
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


def _as_tensor_idx(a: np.ndarray, device) -> torch.Tensor:
    return torch.from_numpy(np.asarray(a, dtype=np.int64)).to(device)


def _paste_latent(z: torch.Tensor, dst: np.ndarray, src: np.ndarray, from_z: torch.Tensor | None = None) -> torch.Tensor:
    """Copy latent cells ``src`` (of ``from_z``, default ``z``) to cells ``dst`` of a copy of ``z``."""
    out = z.clone()
    b, c, h, w = z.shape
    src_z = (from_z if from_z is not None else z).reshape(b, c, h * w)
    flat = out.view(b, c, h * w)
    flat[:, :, torch.from_numpy(dst).to(z.device)] = src_z[:, :, torch.from_numpy(src).to(z.device)]
    return out


def _check_offset(offset, name: str = "offset") -> tuple[float, float]:
    try:
        dx, dy = (float(v) for v in offset)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a pair (dx, dy) of numbers, got {offset!r}") from None
    if not (np.isfinite(dx) and np.isfinite(dy)):
        raise ValueError(f"{name} must be finite, got {offset!r}")
    return dx, dy


def _check_scale(scale, lo: float = 0.1, hi: float = 4.0) -> float:
    try:
        s = float(scale)
    except (TypeError, ValueError):
        raise TypeError(f"scale must be a number, got {scale!r}") from None
    if not (lo <= s <= hi):
        raise ValueError(f"scale must be between {lo} and {hi}, got {s}")
    return s


def _check_point(p, size: tuple[int, int], name: str) -> tuple[float, float]:
    try:
        x, y = (float(v) for v in p)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an (x, y) pair of numbers, got {p!r}") from None
    w, h = size
    if not (0 <= x < w and 0 <= y < h):
        raise ValueError(f"{name} = ({x:g}, {y:g}) is outside the {w}×{h} image")
    return x, y


def _reference_image(reference, name: str = "reference") -> np.ndarray:
    img = getattr(reference, "image", reference)  # a Source carries its image
    return to_rgb_array(img, name)


class Edit:
    """Base class: every edit has a ``kind``, ``validate(size)``, ``plan(ctx)`` and ``to_dict()``."""

    kind: ClassVar[str] = ""
    mode: ClassVar[str] = ""

    def validate(self, size: tuple[int, int]) -> "Edit":
        raise NotImplementedError

    def plan(self, ctx: EditContext) -> EditPlan:
        raise NotImplementedError

    def to_dict(self) -> dict:
        raise NotImplementedError


@dataclass
class Move(Edit):
    """Move the object under ``mask`` by ``offset`` = (dx, dy) pixels; ``scale`` != 1 resizes it about its
    centre. ``reference_region`` optionally says what the vacated area should look like."""

    mask: Any
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    reference_region: Any = None
    kind: ClassVar[str] = "move"
    mode: ClassVar[str] = "move"

    def validate(self, size):
        self.mask = to_mask(self.mask, size, "mask")
        self.offset = _check_offset(self.offset)
        self.scale = _check_scale(self.scale)
        if self.reference_region is not None:
            self.reference_region = to_mask(self.reference_region, size, "reference_region")
        if self.offset == (0.0, 0.0) and self.scale == 1.0:
            raise ValueError("offset is (0, 0) and scale is 1: the move would change nothing")
        affine = Affine(mask_center(self.mask), self.scale, self.offset)
        check_inside(self.mask, affine, "offset/scale")
        return self

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        m = ctx.to_work(self.mask)
        d = ctx.scale_xy(self.offset)
        aff = Affine(mask_center(m), self.scale, d)
        m_new = shift_mask(m, aff)
        # guidance grid
        g_src = to_grid(m, ctx.grid)
        g_new, dst, src = warp_mask_indices(g_src, aff.on_grid(ctx.size, ctx.grid))
        if dst.size == 0:
            raise ValueError("mask is too small for the model's guidance grid; draw a larger mask")
        g_other = ~(g_src | g_new)
        g_vac = g_src & ~g_new
        g_ref = to_grid(ctx.to_work(self.reference_region), ctx.grid) if self.reference_region is not None else g_other
        dev = ctx.device
        lw = p.layer_weights
        terms = [
            SimilarityTerm("edit", "attract", p.w_edit, "edit", "base", [(_as_tensor_idx(dst, dev), _as_tensor_idx(src, dev))],
                           layer_weights=lw),
            SimilarityTerm("content", "attract", p.w_content, "rest", "base", [identity_group(ctx.flat(g_other))], layer_weights=lw),
        ]
        if g_vac.any():
            terms.append(SimilarityTerm("contrast", "repel", p.w_contrast, "rest", "base", [identity_group(ctx.flat(g_vac))],
                                        normalized=True, layer_weights=lw))
            if g_ref.any():
                # the official inpainting term sums the layers (no 0.5 factor)
                terms.append(SimilarityTerm("inpaint", "attract", p.w_inpaint, "rest", "base",
                                            [(ctx.flat(g_vac), ctx.flat(g_ref))], pooling="global", normalized=True,
                                            layer_weights=(1.0,) * len(lw)))
        # initial latent: the object's inverted noise pasted at its new place
        l_src = to_grid(m, ctx.latent)
        _, ldst, lsrc = warp_mask_indices(l_src, aff.on_grid(ctx.size, ctx.latent))
        z_T = _paste_latent(ctx.z_T, ldst, lsrc)
        return EditPlan(
            mode=self.mode, terms=[t for t in terms if not t.empty], edit_region=ctx.latent_mask(m_new),
            sde_region=ctx.latent_mask(m | m_new), z_T=z_T, references={}, bank_rule=p.bank_rule,
            masks={"source": m, "target": m_new, "vacated": m & ~m_new, "edit": m_new, "content": ~(m | m_new),
                   "sde": m | m_new},
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mask": self.mask, "offset": list(self.offset), "scale": self.scale,
                "reference_region": self.reference_region}


@dataclass
class Drag(Edit):
    """Drag content: each handle point (x0, y0) goes to its target (x1, y1). ``mask`` is the editable
    region (None = everywhere). ``content=False`` drops the content term and the contrast term and
    guides globally — the face/landmark form, for many points at once."""

    points: Any
    mask: Any = None
    content: bool = True
    kind: ClassVar[str] = "drag"

    @property
    def mode(self) -> str:  # type: ignore[override]
        return "drag" if self.content else "landmark"

    def validate(self, size):
        try:
            pairs = list(self.points)
        except TypeError:
            raise TypeError(f"points must be a list of ((x0, y0), (x1, y1)) pairs, got {self.points!r}") from None
        if not pairs:
            raise ValueError("points is empty: give at least one ((x0, y0), (x1, y1)) handle→target pair")
        out = []
        for k, pair in enumerate(pairs):
            try:
                a, b = pair
            except (TypeError, ValueError):
                raise TypeError(f"points[{k}] must be a pair ((x0, y0), (x1, y1)), got {pair!r}") from None
            out.append((_check_point(a, size, f"points[{k}] handle"), _check_point(b, size, f"points[{k}] target")))
        self.points = out
        if self.mask is not None:
            self.mask = to_mask(self.mask, size, "mask")
        return self

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        r = ctx.drag_window
        dev = ctx.device
        pts = [(ctx.scale_xy(a), ctx.scale_xy(b)) for a, b in self.points]
        m_user = ctx.to_work(self.mask) if self.mask is not None else np.ones(ctx.size[::-1], bool)
        edit_groups, contrast_groups = [], []
        z_T = ctx.z_T
        for a, b in pts:
            ws = window_indices(point_cell(a, ctx.size, ctx.grid, r), ctx.grid, r)
            wt = window_indices(point_cell(b, ctx.size, ctx.grid, r), ctx.grid, r)
            edit_groups.append((_as_tensor_idx(wt, dev), _as_tensor_idx(ws, dev)))
            only_src = np.setdiff1d(ws, wt)
            if only_src.size:
                contrast_groups.append(identity_group(_as_tensor_idx(only_src, dev)))
            # initial latent: copy the handle's latent patch to the target
            ls = window_indices(point_cell(a, ctx.size, ctx.latent, r), ctx.latent, r)
            lt = window_indices(point_cell(b, ctx.size, ctx.latent, r), ctx.latent, r)
            z_T = _paste_latent(z_T, lt, ls)
        lw = p.layer_weights
        terms = [SimilarityTerm("edit", "attract", p.w_edit, "edit", "base", edit_groups, normalized=True, layer_weights=lw)]
        if self.content:
            if contrast_groups and p.w_inpaint:
                # averaged over all K pairs as the official 1/(L·K) Σ_k: a pair whose target window covers its
                # handle window has nothing to repel and adds 0
                terms.append(SimilarityTerm("contrast", "repel", p.w_inpaint, "edit", "base", contrast_groups,
                                            normalized=True, layer_weights=lw, count=len(pts)))
            outside = ~to_grid(m_user, ctx.grid)
            if outside.any():
                terms.append(SimilarityTerm("content", "attract", p.w_content, "rest", "base",
                                            [identity_group(ctx.flat(outside))], normalized=True, layer_weights=lw))
        region = ctx.latent_mask(m_user) if self.content else torch.ones(1, 1, ctx.latent[1], ctx.latent[0], device=dev)
        return EditPlan(
            mode=self.mode, terms=terms, edit_region=region, sde_region=region.clone(), z_T=z_T, references={},
            bank_rule=p.bank_rule, masks={"edit": m_user, "content": ~m_user, "sde": m_user}, points=pts,
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "points": [[list(a), list(b)] for a, b in self.points], "mask": self.mask,
                "content": self.content}


@dataclass
class ReplaceAppearance(Edit):
    """Give the object under ``mask`` the appearance of the object under ``reference_mask`` in
    ``reference`` (an image or an inverted Source; the mask is at the reference's own size)."""

    mask: Any
    reference: Any
    reference_mask: Any
    reference_prompt: str = ""
    kind: ClassVar[str] = "appearance"
    mode: ClassVar[str] = "appearance"

    def validate(self, size):
        self.mask = to_mask(self.mask, size, "mask")
        ref = _reference_image(self.reference)
        self.reference_mask = to_mask(self.reference_mask, (ref.shape[1], ref.shape[0]), "reference_mask")
        return self

    def _reference_source(self, ctx: EditContext, image: np.ndarray):
        src = self.reference if hasattr(self.reference, "bank") else None
        if src is not None and tuple(src.work_size) == tuple(ctx.size):
            return src
        return ctx.invert(resize_rgb(image, ctx.size), self.reference_prompt)

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        ref_img = _reference_image(self.reference)
        m_b = ctx.to_work(self.mask)
        m_r = resize_mask(self.reference_mask, ctx.size)
        ref_src = self._reference_source(ctx, ref_img)
        g_b, g_r = to_grid(m_b, ctx.grid), to_grid(m_r, ctx.grid)
        lw = p.layer_weights
        terms = [
            SimilarityTerm("content", "attract", p.w_content, "rest", "base", [identity_group(ctx.flat(~g_b))],
                           normalized=True, layer_weights=lw),
            SimilarityTerm("edit", "attract", p.w_edit, "edit", "reference", [(ctx.flat(g_b), ctx.flat(g_r))],
                           pooling="global", normalized=True, layer_weights=lw),
        ]
        return EditPlan(
            mode=self.mode, terms=[t for t in terms if not t.empty], edit_region=ctx.latent_mask(m_b),
            sde_region=ctx.latent_mask(m_b), z_T=ctx.z_T, references={"reference": ref_src}, bank_rule=p.bank_rule,
            base_keep=~m_b, ref_keep=m_r, ip_image=ref_img,
            masks={"edit": m_b, "content": ~m_b, "sde": m_b, "reference": m_r},
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "mask": self.mask, "reference": _reference_image(self.reference),
                "reference_mask": self.reference_mask, "reference_prompt": self.reference_prompt}


def warp_image(image: np.ndarray, affine: Affine) -> np.ndarray:
    """Resample ``image`` so that content at p appears at affine(p) (edges replicated)."""
    h, w = image.shape[:2]
    ys, xs = np.mgrid[0:h, 0:w]
    sx, sy = affine.inverse(xs + 0.5, ys + 0.5)
    big = Image.fromarray(image).resize((w * 4, h * 4), Image.BICUBIC)  # cheap smooth sampling
    bx = np.clip((sx * 4).astype(int), 0, w * 4 - 1)
    by = np.clip((sy * 4).astype(int), 0, h * 4 - 1)
    return np.asarray(big)[by, bx]


@dataclass
class Paste(Edit):
    """Paste the object under ``reference_mask`` of ``reference`` into the source image, moved by
    ``offset`` (pixels of the source image) and scaled by ``scale`` about its centre."""

    reference: Any
    reference_mask: Any
    offset: tuple[float, float] = (0.0, 0.0)
    scale: float = 1.0
    reference_prompt: str = ""
    kind: ClassVar[str] = "paste"
    mode: ClassVar[str] = "paste"

    def validate(self, size):
        ref = _reference_image(self.reference)
        self.reference_mask = to_mask(self.reference_mask, (ref.shape[1], ref.shape[0]), "reference_mask")
        self.offset = _check_offset(self.offset)
        self.scale = _check_scale(self.scale)
        m = resize_mask(self.reference_mask, size)
        if not m.any():
            raise ValueError("reference_mask vanishes at the source image's size; draw a larger mask")
        check_inside(m, Affine(mask_center(m), self.scale, self.offset), "offset/scale")
        return self

    def plan(self, ctx: EditContext) -> EditPlan:
        p = ctx.params
        ref_img = resize_rgb(_reference_image(self.reference), ctx.size)
        m_r = resize_mask(self.reference_mask, ctx.size)
        aff = Affine(mask_center(m_r), self.scale, ctx.scale_xy(self.offset))
        m_b = shift_mask(m_r, aff)
        if not m_b.any():
            raise ValueError("the pasted object lands outside the image; check offset and scale")
        identity = self.scale == 1.0 and tuple(aff.offset) == (0.0, 0.0)
        src = self.reference if hasattr(self.reference, "bank") else None
        if identity and src is not None and tuple(src.work_size) == tuple(ctx.size):
            ref_src = src
        else:  # place the object where it goes, then invert: all positions line up with the base image
            ref_src = ctx.invert(warp_image(ref_img, aff), self.reference_prompt)
        g_b = to_grid(m_b, ctx.grid)
        l_b = to_grid(m_b, ctx.latent)
        cells = np.flatnonzero(l_b)
        z_T = _paste_latent(ctx.z_T, cells, cells, from_z=ref_src.bank.z_T.to(ctx.z_T))
        lw = p.layer_weights
        terms = [
            SimilarityTerm("content", "attract", p.w_content, "rest", "base", [identity_group(ctx.flat(~g_b))],
                           normalized=True, layer_weights=lw),
            SimilarityTerm("edit", "attract", p.w_edit, "edit", "reference", [identity_group(ctx.flat(g_b))],
                           normalized=True, layer_weights=lw),
        ]
        return EditPlan(
            mode=self.mode, terms=[t for t in terms if not t.empty], edit_region=ctx.latent_mask(m_b),
            sde_region=ctx.latent_mask(m_b), z_T=z_T, references={"reference": ref_src}, bank_rule=p.bank_rule,
            base_keep=~m_b, ref_keep=m_b, ip_image=ref_img,
            masks={"edit": m_b, "content": ~m_b, "sde": m_b, "target": m_b},
        )

    def to_dict(self) -> dict:
        return {"kind": self.kind, "reference": _reference_image(self.reference), "reference_mask": self.reference_mask,
                "offset": list(self.offset), "scale": self.scale, "reference_prompt": self.reference_prompt}


EDIT_TYPES: dict[str, type[Edit]] = {"move": Move, "drag": Drag, "appearance": ReplaceAppearance, "paste": Paste}


def edit_from_dict(d: dict) -> Edit:
    """Inverse of ``Edit.to_dict`` (arrays already loaded)."""
    d = dict(d)
    kind = d.pop("kind", None)
    if kind not in EDIT_TYPES:
        raise ValueError(f"edit kind must be one of {sorted(EDIT_TYPES)}, got {kind!r}")
    if kind == "drag":
        d["points"] = [(tuple(a), tuple(b)) for a, b in d["points"]]
    if "offset" in d:
        d["offset"] = tuple(d["offset"])
    return EDIT_TYPES[kind](**d)
