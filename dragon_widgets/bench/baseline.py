"""The ShapesBench baseline: naive latent copy-paste + plain DDIM resampling, no guidance.

Per task: encode the image with the pipeline's VAE (the embedded model's pixel-unshuffle codec),
DDIM-invert it to ``z_T`` with a ``DDIMInverseScheduler`` built from the pipeline's scheduler config
(empty prompt, no classifier-free guidance), copy latents of the object region to where the edit
puts it, and run plain DDIM sampling back to an image. Only diffusers and the loaded pipeline are used.

What is copied where (all in the ``z_T`` latent grid, nearest-neighbour so the noise keeps its statistics):

* move / resize: the source mask warped by (scale about ``center``, then ``offset``) marks the target
  cells; each takes the latent at the inverse-mapped source position. The vacated area keeps its
  latents (so a ghost of the object is expected — that is what guidance is for).
* drag: a square patch (``drag_patch`` latent cells either side) around each handle is copied to its target.
* paste: the reference image is inverted as well; its object's latents land at ``offset``.
* appearance: the base object's cells take the reference object's latents (bounding box to bounding box).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from ..core.geometry import bbox
from ..core.masks import dilate
from ..engine.pixels import pixels_to_tensor, tensor_to_pixels
from .tasks import Task


class NaiveBaseline:
    """Copy-paste in the DDIM-inverted latent + plain DDIM sampling. ``pipe``: a diffusers SD pipeline."""

    def __init__(self, pipe, steps: int = 50, prompt: str = "", drag_patch: int = 1, edit_dilate: int = 1):
        from diffusers import DDIMInverseScheduler, DDIMScheduler

        self.pipe = pipe
        self.steps = int(steps)
        self.prompt = prompt
        self.drag_patch = int(drag_patch)
        self.edit_dilate = int(edit_dilate)
        self.fwd = DDIMScheduler.from_config(pipe.scheduler.config)
        self.inv = DDIMInverseScheduler.from_config(pipe.scheduler.config)
        self._emb = None

    # ---- model plumbing --------------------------------------------------------------------------
    @property
    def device(self) -> torch.device:
        return next(self.pipe.unet.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.pipe.unet.parameters()).dtype

    @torch.no_grad()
    def embedding(self) -> torch.Tensor:
        if self._emb is None:
            tok = self.pipe.tokenizer
            ids = tok([self.prompt], padding="max_length", max_length=tok.model_max_length, truncation=True,
                      return_tensors="pt").input_ids.to(self.device)
            self._emb = self.pipe.text_encoder(ids)[0].to(self.dtype)
        return self._emb

    @torch.no_grad()
    def encode(self, image: np.ndarray) -> torch.Tensor:
        """uint8 (H, W, 3) → scaled latent (1, C, h, w)."""
        vae = self.pipe.vae
        x = pixels_to_tensor(image).to(self.device, next(vae.parameters(), torch.empty(0, dtype=self.dtype)).dtype)
        return (vae.encode(x).latent_dist.mode() * vae.config.scaling_factor).to(self.dtype)

    @torch.no_grad()
    def decode(self, z: torch.Tensor) -> np.ndarray:
        vae = self.pipe.vae
        return tensor_to_pixels(vae.decode(z / vae.config.scaling_factor).sample)

    @torch.no_grad()
    def invert(self, z0: torch.Tensor) -> torch.Tensor:
        self.inv.set_timesteps(self.steps)
        z, emb = z0, self.embedding().expand(z0.shape[0], -1, -1)
        for t in self.inv.timesteps:
            z = self.inv.step(self.pipe.unet(z, t, encoder_hidden_states=emb).sample, t, z).prev_sample
        return z

    @torch.no_grad()
    def sample(self, zT: torch.Tensor) -> torch.Tensor:
        self.fwd.set_timesteps(self.steps)
        z, emb = zT, self.embedding().expand(zT.shape[0], -1, -1)
        for t in self.fwd.timesteps:
            z = self.fwd.step(self.pipe.unet(z, t, encoder_hidden_states=emb).sample, t, z).prev_sample
        return z

    def reconstruct(self, image: np.ndarray) -> np.ndarray:
        """DDIM inversion → DDIM sampling of an uint8 image (the inversion-PSNR benchmark)."""
        return self.decode(self.sample(self.invert(self.encode(image))))

    # ---- latent copy-paste -----------------------------------------------------------------------
    def edit(self, task: Task) -> np.ndarray:
        """Run the baseline on one task; uint8 (res, res, 3)."""
        z0 = self.encode(task.source_image)
        zT = self.invert(z0)
        res = task.res
        f = res // zT.shape[-1]
        if task.kind in ("move", "resize"):
            mask = dilate(task.mask, self.edit_dilate)
            zT = _paste(zT, zT, mask, res, f, task.center, task.offset, task.scale)
        elif task.kind in ("drag", "drag-far"):
            out = zT.clone()
            r = self.drag_patch
            for (x0, y0), (x1, y1) in task.points:
                i0, j0 = int(round((y0 + 0.5) / f - 0.5)), int(round((x0 + 0.5) / f - 0.5))
                i1, j1 = int(round((y1 + 0.5) / f - 0.5)), int(round((x1 + 0.5) / f - 0.5))
                h, w = zT.shape[-2:]
                for di in range(-r, r + 1):
                    for dj in range(-r, r + 1):
                        a, b, c, d = i0 + di, j0 + dj, i1 + di, j1 + dj
                        if 0 <= a < h and 0 <= b < w and 0 <= c < h and 0 <= d < w:
                            out[..., c, d] = zT[..., a, b]
            zT = out
        elif task.kind == "paste":
            zR = self.invert(self.encode(task.reference_image))
            mask = dilate(task.reference_mask, self.edit_dilate)
            zT = _paste(zT, zR, mask, res, f, task.center, task.offset, task.scale)
        elif task.kind == "appearance":
            zR = self.invert(self.encode(task.reference_image))
            zT = _fill_from_bbox(zT, zR, dilate(task.mask, self.edit_dilate), task.reference_mask, res, f)
        else:
            raise ValueError(f"unknown task kind {task.kind!r}")
        return self.decode(self.sample(zT))

    def run(self, task: Task) -> tuple[np.ndarray, float]:
        """(result uint8, seconds)."""
        t0 = time.perf_counter()
        out = self.edit(task)
        return out, time.perf_counter() - t0





def _cells(mask_px: np.ndarray, f: int) -> np.ndarray:
    """Latent cells touched by a pixel mask (any pixel of the f×f block)."""
    h, w = mask_px.shape
    return mask_px.reshape(h // f, f, w // f, f).any(axis=(1, 3))


def _paste(dst: torch.Tensor, src: torch.Tensor, mask_px: np.ndarray, res: int, f: int, center, offset, scale) -> torch.Tensor:
    """Copy ``src`` cells under the (scale about ``center`` + ``offset``)-warped ``mask_px`` into ``dst``."""
    cx, cy = center
    dx, dy = offset
    ys, xs = np.mgrid[0:res, 0:res].astype(np.float64)
    sx, sy = cx + (xs - cx - dx) / scale, cy + (ys - cy - dy) / scale  # inverse map, pixel coords
    six, siy = np.round(sx).astype(int), np.round(sy).astype(int)
    ok = (six >= 0) & (six < res) & (siy >= 0) & (siy < res)
    warped = np.zeros((res, res), bool)
    warped[ok] = mask_px[siy[ok], six[ok]]
    cells = _cells(warped, f)
    out = dst.clone()
    n = res // f
    for i, j in zip(*np.nonzero(cells)):
        px, py = (j + 0.5) * f - 0.5, (i + 0.5) * f - 0.5
        qx, qy = cx + (px - cx - dx) / scale, cy + (py - cy - dy) / scale
        si, sj = int(np.clip(round((qy + 0.5) / f - 0.5), 0, n - 1)), int(np.clip(round((qx + 0.5) / f - 0.5), 0, n - 1))
        out[..., i, j] = src[..., si, sj]
    return out


def _fill_from_bbox(dst: torch.Tensor, src: torch.Tensor, dst_mask: np.ndarray, src_mask: np.ndarray, res: int,
                    f: int) -> torch.Tensor:
    """Fill ``dst_mask``'s cells with ``src`` latents, mapping dst's mask bbox onto src's mask bbox."""
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = _last_pixels(dst_mask), _last_pixels(src_mask)
    n = res // f
    out = dst.clone()
    for i, j in zip(*np.nonzero(_cells(dst_mask, f))):
        px, py = (j + 0.5) * f - 0.5, (i + 0.5) * f - 0.5
        u = (px - ax0) / max(ax1 - ax0, 1.0)
        v = (py - ay0) / max(ay1 - ay0, 1.0)
        qx, qy = bx0 + u * (bx1 - bx0), by0 + v * (by1 - by0)
        si, sj = int(np.clip(round((qy + 0.5) / f - 0.5), 0, n - 1)), int(np.clip(round((qx + 0.5) / f - 0.5), 0, n - 1))
        out[..., i, j] = src[..., si, sj]
    return out


def _last_pixels(mask: np.ndarray) -> tuple[float, float, float, float]:
    """The first and last pixel columns and rows of a mask's bounding box (inclusive), as floats."""
    x0, y0, x1, y1 = bbox(mask)
    return float(x0), float(y0), float(x1 - 1), float(y1 - 1)
