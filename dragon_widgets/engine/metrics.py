"""In-line edit metrics: background change outside the edited region, and how far drag handles got.

Pure functions (torch) do the arithmetic and are tested on constructed cases; :func:`measure_edit` applies them
to an :class:`~dragon_widgets.engine.editor.EditResult` with the editor's own UNet:

* ``background_psnr``: PSNR (dB) between input and result over the pixels *outside* the dilated union of the
  edit's region (``result.region``: the plan's edit and SDE regions, e.g. a move's old and new place) and discs
  around its points (what the edit was not asked to change); ``None`` when no pixel is outside.
* ``invented_regions``: how many connected regions changed strongly (CIELAB ΔE > ``change_de``, at least
  ``min_region_px`` px at 64×64, scaled with the image's area; :mod:`dragon_widgets.core.changes`, the detector
  ShapesBench counts invented objects with) *outside* that same dilated region: objects the edit made up, damaged
  bystanders, smears. ``invented_boxes`` gives their ``[x0, y0, x1, y1]`` boxes (x1, y1 exclusive).
* A drag without a drawn region may change the whole image, so it is measured outside a default region instead:
  around each handle → target segment, every pixel within the drag's length plus ``drag_margin`` of the image's
  longer side (3 px at 64 px, 20 px at 512 px), dilated like a drawn one (``measured_outside`` says which).
* ``drag``: for each handle → target pair, the distance before (the drawn pair) and after: where the handle's
  feature is found in the result, by DIFT correspondence (:func:`dragon_widgets.engine.dift.dift_features`): both
  images are encoded, noised to a small level (a few seeded draws, averaged), and the UNet's decoder features (the
  guidance blocks) compared by cosine similarity; the handle's source feature's nearest neighbour in the result is
  the tracked handle.

All positions and distances are in pixels of the input image.

The tracked distance is not ShapesBench's ``md_end``: the benchmark knows the dragged shape and fits the dragged
*polygon vertex* to the segmented result (where the corner went), while this metric, with no ground truth, follows
the handle's *feature* (DIFT nearest neighbour on the guidance grid, one cell = 2–4 px at 64 px). They agree when
the corner moved with its feature; they differ by up to a grid cell on clean edits, and more when the shape was
regenerated rather than moved (the feature can be found on a new corner that the polygon fit does not take).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from ..core import changes, masks
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
    change_de: float = changes.CHANGE_DE  # ΔE above which a pixel outside the edit "changed strongly"
    min_region_px: float = changes.MIN_REGION_PX  # smallest such region counted, px at 64×64 (scaled by area)
    drag_margin: float = 0.04  # a drag without a drawn region: its default region reaches this fraction of the
    #                            longer side beyond the drag's length around each handle → target segment

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


def default_drag_region(points: list, size: tuple[int, int], margin: float) -> np.ndarray:
    """Bool (H, W): the region a drag without a drawn one is measured outside — every pixel within (drag length +
    ``margin`` px) of each handle → target segment of ``points`` (((x0, y0), (x1, y1)) pairs, pixels)."""
    w, h = size
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64) + 0.5
    out = np.zeros((h, w), bool)
    for (hx, hy), (tx, ty) in points:
        dx, dy = tx - hx, ty - hy
        u = np.clip(((xx - hx) * dx + (yy - hy) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
        out |= np.hypot(xx - (hx + u * dx), yy - (hy + u * dy)) <= np.hypot(dx, dy) + margin
    return out


def invented_regions(before: Any, after: Any, allowed: Any, change_de: float = changes.CHANGE_DE,
                     min_region_px: float = changes.MIN_REGION_PX) -> list[np.ndarray]:
    """Regions (bool masks, largest first) that changed strongly (ΔE > ``change_de``) from ``before`` to ``after``
    outside ``allowed`` (bool (H, W)), of at least ``min_region_px`` px at 64×64 scaled with the image's area."""
    a = np.asarray(before)
    h, w = a.shape[:2]
    return changes.changed_regions(changes.change_map(before, after, change_de), allowed,
                                   changes.min_region_px((w, h), min_region_px))


def check_result(before: Any, after: Any, region: Any, points: list, settings: MetricSettings | None = None,
                 default_region: bool = False) -> dict:
    """The model-free part of the result check on two uint8 (H, W, 3) images of one size: background PSNR,
    edited share and the invented regions outside ``region`` (bool (H, W) or None) with discs around ``points``,
    dilated (see the module docstring). ``default_region``: ``region`` allows the whole image (a drag without a
    drawn region), so the default drag region is used instead."""
    s = settings or MetricSettings()
    b, a = np.asarray(before), np.asarray(after)
    if b.shape != a.shape or b.ndim != 3:
        raise ValueError(f"before and after must be (H, W, 3) images of one size, got {b.shape} and {a.shape}")
    h, w = b.shape[:2]
    side = max(w, h)
    measured = "edit region"
    if default_region and points:
        region, measured = default_drag_region(points, (w, h), s.drag_margin * side), "default drag region"
    allowed = edited_region(region, points, (w, h), dilate=int(round(s.dilate * side)),
                            point_radius=int(round(s.point_radius * side)))
    found = invented_regions(b, a, allowed, s.change_de, s.min_region_px) if not allowed.all() else []
    return {"background_psnr": background_psnr(b, a, allowed), "edited_fraction": float(allowed.mean()),
            "measured_outside": measured, "invented_regions": len(found),
            "invented_boxes": [changes.region_box(r) for r in found], "settings": s.to_dict()}


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


def _unbounded_drag(result: Any) -> bool:
    """A drag (not a landmark edit) run without a drawn editable region."""
    edit = getattr(result, "edit", None)
    return getattr(edit, "mode", None) == "drag" and getattr(edit, "mask", 0) is None and bool(result.points)


def measure_edit(editor: Any, result: Any, settings: MetricSettings | None = None) -> dict:
    """The result check of ``result`` (from ``editor.edit``), with no ground truth, as a JSON-ready dict
    (``dw.measure_edit``; the editor app keeps it in ``result.metrics``):

    ``{"background_psnr": dB or None, "edited_fraction": share of pixels in the edited region,
    "measured_outside": "edit region" or "default drag region", "invented_regions": count,
    "invented_boxes": [[x0, y0, x1, y1], ...] (input pixels), "drag": [per-pair dicts] (only for point edits),
    "settings": {...}}`` — see the module docstring for each figure and its thresholds.
    """
    s = settings or MetricSettings()
    before, after = result.source.work_image, result.work_image
    h, w = before.shape[:2]
    to_in = (result.source.size[0] / w, result.source.size[1] / h)
    out = check_result(before, after, result.region, result.points, s, default_region=_unbounded_drag(result))
    out["invented_boxes"] = [[int(np.floor(x0 * to_in[0])), int(np.floor(y0 * to_in[1])),
                              int(np.ceil(x1 * to_in[0])), int(np.ceil(y1 * to_in[1]))]
                             for x0, y0, x1, y1 in out["invented_boxes"]]
    if result.points:
        fa = track_features(editor, before, result.prompt, s)
        fb = track_features(editor, after, result.prompt, s, draw=1)
        tracked = track_points(fa, fb, [a for a, _b in result.points], (w, h))
        pairs = [((a[0] * to_in[0], a[1] * to_in[1]), (b[0] * to_in[0], b[1] * to_in[1])) for a, b in result.points]
        out["drag"] = drag_distances(pairs, tracked * np.asarray(to_in))
    return out
