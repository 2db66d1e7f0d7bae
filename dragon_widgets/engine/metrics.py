"""In-line edit metrics: background change outside the edited region, and how far drag handles got.

Pure functions (torch) do the arithmetic and are tested on constructed cases; :func:`measure_edit` applies them
to an :class:`~dragon_widgets.engine.editor.EditResult` with the editor's own UNet:

* ``background_psnr``: PSNR (dB) between input and result over the pixels *outside* the dilated union of the
  edit's region (``result.region``: the plan's edit and SDE regions, e.g. a move's old and new place) and discs
  around its points (what the edit was not asked to change); ``None`` when no pixel is outside.
* ``drag``: for each handle → target pair, the distance before (the drawn pair) and after: where the handle's
  feature is found in the result, by DIFT correspondence (:func:`dragon_widgets.engine.dift.dift_features`): both
  images are encoded, noised to a small level (a few seeded draws, averaged), and the UNet's decoder features (the
  guidance blocks) compared by cosine similarity; the handle's source feature's nearest neighbour in the result is
  the tracked handle.

All positions and distances are in pixels of the input image.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..core import masks
from ..core.psnr import psnr

@dataclass(frozen=True)
class MetricSettings:
    """The numbers of the in-line metrics (named here, not scattered as literals)."""

    dilate: float = 0.06  # the edited region grows by this fraction of the working image's longer side
    point_radius: float = 0.08  # disc around each handle and target, as a fraction of the longer side
    track_noise: float = 0.26  # DIFT's t = 261 of 1000: the noise level as a fraction of the training steps
    track_seed: int = 0  # seed of the noises (the result gets other draws than the input: a shared noise pins
    #                       features to their place and biases the tracking towards "did not move")
    track_ensemble: int = 4  # features averaged over this many noise draws (DIFT averages 8), one batched pass

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------------- pure functions
def edited_region(region: Any, points: list, size: tuple[int, int], dilate: int = 0,
                  point_radius: int = 0) -> np.ndarray:
    """Bool (H, W): ``region`` (bool (H, W) or None) with discs of ``point_radius`` around every handle and target
    of ``points`` (((x0, y0), (x1, y1)) pairs), all grown by ``dilate`` pixels."""
    w, h = size
    out = np.zeros((h, w), bool)
    if region is not None:
        m = np.asarray(region, dtype=bool)
        if m.shape != (h, w):
            raise ValueError(f"region has shape {m.shape}, expected (H, W) = ({h}, {w})")
        out |= m
    yy, xx = np.mgrid[0:h, 0:w]
    for pair in points:
        for x, y in pair:
            out |= (xx + 0.5 - x) ** 2 + (yy + 0.5 - y) ** 2 <= max(point_radius, 0.5) ** 2
    return masks.dilate(out, dilate)


def background_psnr(before: Any, after: Any, region: Any) -> float | None:
    """PSNR (dB, 8-bit peak) of ``after`` vs ``before`` (uint8 (H, W, 3)) over pixels where ``region`` is False.

    ``inf`` when those pixels are identical, ``None`` when the region covers the whole image."""
    a, b = np.asarray(before), np.asarray(after)
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"before and after must be (H, W, 3) images of one size, got {a.shape} and {b.shape}")
    keep = ~np.asarray(region, dtype=bool)
    if keep.shape != a.shape[:2]:
        raise ValueError(f"region has shape {keep.shape}, expected {a.shape[:2]}")
    if not keep.any():
        return None
    return psnr(a, b, keep)


def track_points(source_features: torch.Tensor, result_features: torch.Tensor, points: list,
                 size: tuple[int, int]) -> np.ndarray:
    """Nearest neighbour (cosine over channels) in ``result_features`` of each point's feature in
    ``source_features`` (both (C, h, w) over an image of ``size`` (W, H)). Returns float (n, 2) (x, y) pixel
    positions (cell centres) in that image."""
    if source_features.ndim != 3 or source_features.shape != result_features.shape:
        raise ValueError(f"features must be two (C, h, w) maps of one shape, got {tuple(source_features.shape)} "
                         f"and {tuple(result_features.shape)}")
    c, h, w = source_features.shape
    W, H = size
    src = F.normalize(source_features.float().reshape(c, -1), dim=0)
    dst = F.normalize(result_features.float().reshape(c, -1), dim=0)
    out = np.zeros((len(points), 2), np.float64)
    for k, (x, y) in enumerate(points):
        col = min(w - 1, max(0, int(x * w / W)))
        row = min(h - 1, max(0, int(y * h / H)))
        best = int(torch.argmax(src[:, row * w + col] @ dst))
        out[k] = ((best % w + 0.5) * W / w, (best // w + 0.5) * H / h)
    return out


def drag_distances(pairs: list, tracked: Any) -> list[dict]:
    """Per handle → target pair: ``before`` = |target − handle|, ``after`` = |target − tracked handle|."""
    tracked = np.asarray(tracked, dtype=np.float64).reshape(-1, 2)
    if len(tracked) != len(pairs):
        raise ValueError(f"tracked has {len(tracked)} points for {len(pairs)} pairs")
    rows = []
    for (handle, target), pos in zip(pairs, tracked):
        h, t = np.asarray(handle, float), np.asarray(target, float)
        rows.append({"handle": [round(float(v), 2) for v in h], "target": [round(float(v), 2) for v in t],
                     "tracked": [round(float(v), 2) for v in pos],
                     "before": float(np.linalg.norm(t - h)), "after": float(np.linalg.norm(t - pos))})
    return rows


# ----------------------------------------------------------------------------------------------- with the model
def track_features(editor: Any, image: np.ndarray, prompt: str, settings: MetricSettings, draw: int = 0) -> torch.Tensor:
    """(C, h, w) DIFT features (:func:`~dragon_widgets.engine.dift.dift_features`) of a working-size uint8 ``image``
    as the drag metric tracks handles: the editor's guidance layers at ``track_noise`` with ``track_ensemble``
    draws (seeded by ``track_seed`` and ``draw``), on the editor's guidance grid."""
    from .dift import dift_features

    T = int(editor.pipe.scheduler.config.num_train_timesteps)
    t = min(T - 1, max(0, int(round(settings.track_noise * T))))
    up, f = editor.preset.feature_upscale, editor.vae_factor
    grid = (image.shape[1] // f * up, image.shape[0] // f * up)
    return dift_features(editor.pipe, image, prompt, t=t, layers=list(editor.layers),
                         ensemble=max(1, int(settings.track_ensemble)), seed=settings.track_seed * 1_000_003 + draw,
                         grid=grid, conditioning=editor.embed(prompt, (image.shape[1], image.shape[0])))


def measure_edit(editor: Any, result: Any, settings: MetricSettings | None = None) -> dict:
    """The in-line metrics of ``result`` (from ``editor.edit``), as a JSON-ready dict:

    ``{"background_psnr": dB or None, "edited_fraction": share of pixels in the edited region,
    "drag": [per-pair dicts] (only for point edits), "settings": {...}}``.
    """
    s = settings or MetricSettings()
    before, after = result.source.work_image, result.work_image
    h, w = before.shape[:2]
    side = max(w, h)
    to_in = (result.source.size[0] / w, result.source.size[1] / h)
    region = edited_region(result.region, result.points, (w, h), dilate=int(round(s.dilate * side)),
                           point_radius=int(round(s.point_radius * side)))
    out: dict = {"background_psnr": background_psnr(before, after, region),
                 "edited_fraction": float(region.mean()), "settings": s.to_dict()}
    if result.points:
        fa = track_features(editor, before, result.prompt, s)
        fb = track_features(editor, after, result.prompt, s, draw=1)
        tracked = track_points(fa, fb, [a for a, _b in result.points], (w, h))
        pairs = [((a[0] * to_in[0], a[1] * to_in[1]), (b[0] * to_in[0], b[1] * to_in[1])) for a, b in result.points]
        out["drag"] = drag_distances(pairs, tracked * np.asarray(to_in))
    return out
