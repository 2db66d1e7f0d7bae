"""ShapesBench metrics: how well an edited image matches a task's ground truth.

For a result image (uint8 or float, ``res`` × ``res``) and its :class:`~dragon_widgets.bench.tasks.Task`:

* **iou** — the edited object is segmented in the result by its colour (:func:`segment_color` against
  the scene's known background, other shapes' colours as distractors) and compared with the
  ground-truth target mask.
* **ghost** — share of the vacated area (source mask minus the 1-px-dilated target mask) that still
  shows the object's colour; for ``appearance`` edits, the share of the object that still shows its
  *old* colour. NaN when there is no such area (paste; a pure enlargement), which passes.
* **bg_psnr** — PSNR (dB) between result and source outside the union of source and target
  object masks dilated by :data:`BG_DILATE` px.
* **md_start / md_end** (drag) — distance (px) from the dragged vertex to its target before and
  after the edit. Before: ``|target - handle|``. After: the dragged polygon vertex of the
  best-fitting polygon to the segmented object (the source polygon with only that vertex free,
  grid search maximising IoU; see :func:`fit_vertex`). Shape-based rather than feature matching,
  so it measures where the *corner* went, which is what the drag asks for.
* **success** — per kind, see :func:`score` (the issue's targets: IoU ≥ 0.5, ghost ≤ 0.25,
  background PSNR ≥ 22 dB; drags also need a ≥ 70 % cut of the point distance).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from .scenes import Shape, render_background, shape_alpha
from .segment import as_float, dilate, iou, segment_color
from .tasks import Task

BG_DILATE = 2
IOU_MIN = 0.5
GHOST_MAX = 0.25
BG_PSNR_MIN = 22.0
DRAG_CUT_MIN = 0.7
#: Vacated areas smaller than this (px) give ghost = NaN (nothing meaningful to measure).
MIN_VACATED_PX = 4


def psnr(a, b, mask: np.ndarray | None = None) -> float:
    """PSNR in dB of two images in [0, 1] / uint8, optionally over the pixels where ``mask`` is True."""
    x, y = as_float(a).astype(np.float64), as_float(b).astype(np.float64)
    d = (x - y) ** 2
    if mask is not None:
        m = np.asarray(mask, bool)
        if not m.any():
            return float("nan")
        d = d[m]
    mse = float(d.mean())
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def object_mask(result, task: Task, rgb=None) -> np.ndarray:
    """Pixels of ``result`` showing the edited object's colour (or ``rgb``)."""
    bg = render_background(task.target.background, task.res)
    rgb = task.object_shape.rgb if rgb is None else rgb
    return segment_color(result, rgb, bg, others=[o for o in task.other_rgbs if o != tuple(rgb)])


def target_iou(result, task: Task) -> float:
    return iou(object_mask(result, task), task.target_mask)


def ghost_fraction(result, task: Task) -> float:
    if task.kind == "appearance":
        area = task.target_mask
        old = task.scene.shapes[task.index].rgb
        bg = render_background(task.scene.background, task.res)
        others = [s.rgb for i, s in enumerate(task.scene.shapes) if i != task.index] + [task.object_shape.rgb]
        seg = segment_color(result, old, bg, others=others)
    else:
        area = task.mask & ~dilate(task.target_mask, 1)
        seg = object_mask(result, task, rgb=task.source_shape.rgb)
    if area.sum() < MIN_VACATED_PX:
        return float("nan")
    return float(seg[area].mean())


def edit_region(task: Task, pad: int = BG_DILATE) -> np.ndarray:
    """bool (res, res): source ∪ target object regions, dilated by ``pad`` px (what the edit may change)."""
    return dilate(task.mask | task.target_mask, pad)


def background_psnr(result, task: Task) -> float:
    return psnr(result, task.source_image, ~edit_region(task))


def fit_vertex(mask: np.ndarray, shape: Shape, k: int, radius_px: float = 16.0) -> tuple[float, float]:
    """Pixel position of vertex ``k`` of ``shape``'s polygon that best explains ``mask``.

    The other vertices stay where they are; vertex ``k`` is searched on a coarse-to-fine grid
    (2 px over ±``radius_px``, then 0.5 px, then 0.25 px) for the highest IoU between the polygon's
    ``alpha ≥ 0.5`` mask and ``mask``.
    """
    res = mask.shape[0]
    poly = list(shape.polygon())
    vx, vy = poly[k]

    def score(dx: float, dy: float) -> float:
        verts = list(poly)
        verts[k] = (vx + dx / res, vy + dy / res)
        return iou(shape_alpha(replace(shape, vertices=verts), res) >= 0.5, mask)

    best = (score(0.0, 0.0), 0.0, 0.0, 0.0)
    cx, cy = 0.0, 0.0
    for step, span in ((2.0, radius_px), (0.5, 2.0), (0.25, 0.5)):
        n = int(round(span / step))
        for i in range(-n, n + 1):
            for j in range(-n, n + 1):
                dx, dy = cx + i * step, cy + j * step
                s = score(dx, dy)
                # ties (flat IoU) go to the candidate nearest the current estimate
                if s > best[0] + 1e-9 or (s > best[0] - 1e-9 and math.hypot(i, j) * step < best[3]):
                    best = (s, dx, dy, math.hypot(i, j) * step)
        cx, cy = best[1], best[2]
        best = (best[0], cx, cy, 0.0)
    return (vx * res - 0.5 + cx, vy * res - 0.5 + cy)


def drag_distances(result, task: Task) -> tuple[float, float]:
    """(mean start distance, mean end distance) in px of the dragged vertex to its target."""
    (h, t), = task.points[:1]
    start = math.hypot(t[0] - h[0], t[1] - h[1])
    seg = object_mask(result, task)
    if not seg.any():
        return start, float("nan")
    shape = task.scene.shapes[task.index]
    ex, ey = fit_vertex(seg, shape, task.vertex, radius_px=max(12.0, 2 * start + 4))
    gx, gy = task.target.shapes[task.target_index].polygon()[task.vertex]
    gx, gy = gx * task.res - 0.5, gy * task.res - 0.5
    return start, math.hypot(ex - gx, ey - gy)


@dataclass
class EditScore:
    task: str
    kind: str
    iou: float
    ghost: float
    bg_psnr: float
    md_start: float = float("nan")
    md_end: float = float("nan")
    seconds: float = float("nan")
    success: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


def _le(x: float, lim: float) -> bool:
    return math.isnan(x) or x <= lim


def score(result, task: Task, seconds: float = float("nan")) -> EditScore:
    """All metrics of one edited image plus the success flag.

    success: IoU ≥ 0.5 and background PSNR ≥ 22 dB for every kind; plus ghost ≤ 0.25 (move, resize,
    drag, appearance — NaN passes) and, for drag, end distance ≤ 30 % of the start distance.
    """
    res = np.asarray(result)
    if res.shape[:2] != (task.res, task.res):
        raise ValueError(f"result must be {task.res}×{task.res}, got {res.shape}")
    s = EditScore(task.id, task.kind, target_iou(res, task), ghost_fraction(res, task), background_psnr(res, task),
                  seconds=seconds)
    ok = s.iou >= IOU_MIN and s.bg_psnr >= BG_PSNR_MIN and _le(s.ghost, GHOST_MAX)
    if task.kind == "drag":
        s.md_start, s.md_end = drag_distances(res, task)
        ok = ok and not math.isnan(s.md_end) and s.md_end <= (1 - DRAG_CUT_MIN) * s.md_start
    s.success = bool(ok)
    return s


def summarize(scores: list[EditScore]) -> dict:
    """Per kind: n, success rate, mean IoU / ghost / background PSNR / drag distances / seconds.

    Drag distances are means over the tasks where the dragged shape was found after the edit;
    ``md_lost`` counts the tasks where it was not (the shape vanished or changed colour).
    """
    out = {}
    for kind in dict.fromkeys(s.kind for s in scores):
        ss = [s for s in scores if s.kind == kind]

        def mean(attr: str) -> float:
            v = [getattr(s, attr) for s in ss if not math.isnan(getattr(s, attr))]
            v = [min(x, 60.0) for x in v] if attr == "bg_psnr" else v  # inf (untouched) counts as 60 dB
            return float(np.mean(v)) if v else float("nan")

        # drag distances are paired: a task whose dragged shape is gone has no end distance, so it is
        # counted as lost instead of leaving its start distance in one mean and not the other
        pairs = [(s.md_start, s.md_end) for s in ss if not (math.isnan(s.md_start) or math.isnan(s.md_end))]
        md_start, md_end = (map(float, np.mean(pairs, 0)) if pairs else (float("nan"), float("nan")))
        lost = sum(1 for s in ss if not math.isnan(s.md_start) and math.isnan(s.md_end))
        out[kind] = dict(n=len(ss), success=float(np.mean([s.success for s in ss])), iou=mean("iou"),
                         ghost=mean("ghost"), bg_psnr=mean("bg_psnr"), md_start=md_start, md_end=md_end,
                         md_lost=lost, seconds=mean("seconds"))
    return out
