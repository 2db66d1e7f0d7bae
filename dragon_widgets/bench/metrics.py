"""ShapesBench metrics: how well an edited image matches a task's ground truth.

For a result image (uint8 or float, ``res`` × ``res``) and its :class:`~dragon_widgets.bench.tasks.Task`:

* **iou** — the edited object is segmented in the result by its colour (:func:`segment_color` against
  the scene's known background, other shapes' colours as distractors) and compared with the
  ground-truth target mask.
* **ghost** — share of the vacated area (source mask minus the 1-px-dilated target mask) that still
  shows the object's colour or is otherwise not restored (ΔE > :data:`CHANGE_DE` to the ground truth: a
  faint, recoloured or glowing copy left behind); for ``appearance`` edits, the share of the object that
  still shows its *old* colour. NaN when there is no such area (paste; a pure enlargement), which passes.
* **bg_psnr** — PSNR (dB) between result and source outside the union of source and target
  object masks dilated by :data:`BG_DILATE` px.
* **md_start / md_end** (drag) — distance (px) from the dragged vertex to its target before and
  after the edit. Before: ``|target - handle|``. After: the dragged polygon vertex of the
  best-fitting polygon to the segmented object (the source polygon with only that vertex free,
  grid search maximising IoU; see :func:`fit_vertex`). Shape-based rather than feature matching,
  so it measures where the *corner* went, which is what the drag asks for.
* **invented** — how many connected regions (≥ :data:`INVENT_MIN_PX` px) changed strongly (CIELAB ΔE to
  the source > :data:`CHANGE_DE`) outside the area the edit may touch (source ∪ target object ∪ a drag's
  handle→target corridor, dilated by :data:`INVENT_DILATE` px) and outside the other objects (those are
  judged by *bystanders*): objects the edit made up, doubled copies, smears.
* **fidelity** — IoU of the edited object (the connected part of its colour segmentation at or nearest
  the target) against the ground-truth shape rendered at the same centroid and area (:func:`shape_fidelity`):
  what is left is shape — a teardrop or rounded blob for a diamond scores low, a correct shape a pixel too
  small does not (the target IoU judges place and size). Passing is judged on the *shape error*, the same
  disagreement in px of outline (:data:`SHAPE_ERROR_MAX_PX`), which is fair to small and large objects.
* **bystanders** — every object the edit should not touch is still there: segmented by its own colour
  near its place, IoU ≥ :data:`BYSTANDER_IOU_MIN` with its visible ground-truth mask and its median colour
  within :data:`BYSTANDER_DE_MAX` ΔE (:func:`bystanders`). ``bystander_iou`` is the worst IoU (NaN: no
  other object), ``bystanders_ok`` whether all passed.
* **success** — per kind, see :func:`score`: IoU ≥ 0.5, ghost ≤ 0.25, background PSNR ≥ 28 dB, no
  invented object, shape error ≤ :data:`SHAPE_ERROR_MAX_PX` px, bystanders intact; drags also need a
  ≥ 70 % cut of the point distance.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, replace

import numpy as np

from ..core import changes
from ..core.masks import dilate, erode
from ..core.psnr import psnr
from .scenes import Shape, render, render_background, shape_alpha
from .segment import as_float, components, delta_e, iou, segment_color
from .tasks import DRAG_KINDS, MASK_THRESHOLD, Task

BG_DILATE = 2
IOU_MIN = 0.5
GHOST_MAX = 0.25
#: Background PSNR a clean edit keeps (issue 11; 22 dB let a repainted background or extra objects pass).
BG_PSNR_MIN = 28.0
DRAG_CUT_MIN = 0.7
#: ΔE (CIE76) above which a pixel "changed strongly" (:data:`dragon_widgets.core.changes.CHANGE_DE`).
CHANGE_DE = changes.CHANGE_DE
#: Smallest strongly changed region (px at 64×64, scaled with the area) counted as an invented object
#: (:data:`dragon_widgets.core.changes.MIN_REGION_PX`).
INVENT_MIN_PX = changes.MIN_REGION_PX
#: Pixels around the edited object's source and target (and a drag's corridor) where change is allowed:
#: anti-aliased rims and the soft halo a latent edit leaves are not objects.
INVENT_DILATE = 3
#: Largest shape error of a clean edit, in px of boundary: the pixels where the edited object and its
#: aligned ground-truth shape disagree, divided by the shape's perimeter (px) — the mean distance between
#: the two outlines. An IoU threshold alone cannot be fair to every size: at ShapesBench's 6–22 px objects
#: one pixel of outline costs a small object 0.3 IoU and a large one 0.05, so a flattened diamond tip on a
#: large object keeps IoU 0.91 while pixel quantisation alone drops a correct small one to 0.89. In px:
#: clean renders ≤ 0.2, a faithful but soft edit ≈ 0.3–0.45; a teardrop or circle for a diamond, a rounded
#: blob for a triangle, a corner cut off ≥ 0.6 (see tests/bench/test_bench_metrics.py).
SHAPE_ERROR_MAX_PX = 0.5
#: An untouched object keeps this IoU with its visible ground-truth mask (issue 11) ...
BYSTANDER_IOU_MIN = 0.9
#: ... and its median colour stays within this ΔE of its own: regenerating an untouched object moves it by
#: ΔE ≈ 0.5–5.5; a hue shift a person notices side by side (yellow → orange-yellow) is ≈ 9.
BYSTANDER_DE_MAX = 8.0
#: Objects with fewer visible pixels than this (mostly covered by another) are not judged as bystanders.
MIN_BYSTANDER_PX = 6
#: Vacated areas smaller than this (px) give ghost = NaN (nothing meaningful to measure).
MIN_VACATED_PX = 4


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
        # a faint or recoloured copy left behind is a ghost too: the vacated area must look like the truth
        seg = seg | (delta_e(as_float(result), as_float(task.target_image)) > CHANGE_DE)
    if area.sum() < MIN_VACATED_PX:
        return float("nan")
    return float(seg[area].mean())


def edit_region(task: Task, pad: int = BG_DILATE) -> np.ndarray:
    """bool (res, res): source ∪ target object regions, dilated by ``pad`` px (what the edit may change)."""
    return dilate(task.mask | task.target_mask, pad)


def background_psnr(result, task: Task) -> float:
    return psnr(result, task.source_image, ~edit_region(task))


def allowed_region(task: Task, pad: int = INVENT_DILATE) -> np.ndarray:
    """bool (res, res): where an edit may change the picture — the edited object's source and target,
    and for drags the handle→target corridor (2 px wide), dilated by ``pad`` px."""
    area = task.mask | task.target_mask
    if task.kind in DRAG_KINDS:
        yy, xx = np.mgrid[:task.res, :task.res].astype(float)
        for (hx, hy), (tx, ty) in task.points:
            dx, dy = tx - hx, ty - hy
            u = np.clip(((xx - hx) * dx + (yy - hy) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
            area |= np.hypot(xx - (hx + u * dx), yy - (hy + u * dy)) <= 2.0
    return dilate(area, pad)


def _visible_masks(task: Task) -> list[np.ndarray]:
    return [m >= MASK_THRESHOLD for m in render(task.target, task.res)[1]]


def change_map(result, task: Task) -> np.ndarray:
    """bool (res, res): pixels whose colour moved by more than :data:`CHANGE_DE` ΔE from the source."""
    return changes.change_map(task.source_image, result, CHANGE_DE)


def invented_regions(result, task: Task) -> list[np.ndarray]:
    """Strongly changed regions outside the allowed area and the other objects (see the module docstring)."""
    vis = _visible_masks(task)
    keep_out = allowed_region(task)
    for j in task.bystanders:
        keep_out |= dilate(vis[j], 1)
    min_px = changes.min_region_px((task.res, task.res), INVENT_MIN_PX)
    return changes.changed_regions(change_map(result, task), keep_out, min_px)


def invented_objects(result, task: Task) -> int:
    return len(invented_regions(result, task))


def centroid(mask: np.ndarray) -> tuple[float, float]:
    """The (x, y) mean pixel position of a non-empty bool mask."""
    ys, xs = np.nonzero(mask)
    return float(xs.mean()), float(ys.mean())


def edited_object(result, task: Task) -> np.ndarray:
    """bool (res, res): the edited object in ``result`` — the connected part (gaps of 1 px bridged) of its
    colour segmentation that overlaps the target most, else the largest; empty when its colour is gone."""
    seg = object_mask(result, task)
    if not seg.any():
        return seg
    parts = [c & seg for c in components(dilate(seg, 1))]
    near = dilate(task.target_mask, 2)
    best = max(parts, key=lambda c: (int((c & near).sum()), int(c.sum())))
    return best


def _perimeter_px(shape: Shape, res: int) -> float:
    poly = shape.polygon()
    if poly is None:
        return math.pi * shape.size * res
    v = np.asarray(poly, float) * res
    return float(np.linalg.norm(v - np.roll(v, -1, 0), axis=1).sum())


def shape_fidelity(obj: np.ndarray, shape: Shape, res: int) -> tuple[float, float]:
    """(IoU, shape error in px) of ``obj`` against ``shape`` moved to ``obj``'s centroid and scaled to its area.

    The error is the disagreeing pixels over the aligned shape's perimeter (see :data:`SHAPE_ERROR_MAX_PX`).
    An empty ``obj`` gives (0, inf).
    """
    n = int(obj.sum())
    ref = shape_alpha(shape, res) >= MASK_THRESHOLD
    if n == 0 or not ref.any():
        return 0.0, math.inf
    sized = shape.moved(0.0, 0.0, math.sqrt(n / ref.sum()))
    ref = shape_alpha(sized, res) >= MASK_THRESHOLD
    if not ref.any():
        return 0.0, math.inf
    (ox, oy), (rx, ry) = centroid(obj), centroid(ref)
    ref = shape_alpha(sized.moved((ox - rx) / res, (oy - ry) / res), res) >= MASK_THRESHOLD
    return iou(obj, ref), float((obj ^ ref).sum()) / max(_perimeter_px(sized, res), 1e-6)


def fidelity(result, task: Task) -> tuple[float, float]:
    """(IoU, shape error px) of the edited object against its ground-truth shape (:func:`shape_fidelity`)."""
    return shape_fidelity(edited_object(result, task), task.object_shape, task.res)


def bystanders(result, task: Task) -> tuple[float, float]:
    """(worst IoU, worst median-colour ΔE) over the objects the edit must leave alone (NaN, NaN if none)."""
    vis = _visible_masks(task)
    bg = render_background(task.target.background, task.res)
    img = as_float(result)
    rgbs = [tuple(s.rgb) for s in task.target.shapes] + [tuple(task.source_shape.rgb)]
    ious, des = [], []
    for j in task.bystanders:
        m = vis[j]
        if m.sum() < MIN_BYSTANDER_PX:
            continue
        rgb = tuple(task.target.shapes[j].rgb)
        seg = segment_color(img, rgb, bg, others=[o for o in rgbs if o != rgb]) & dilate(m, 3)
        ious.append(iou(seg, m))
        inner = erode(m, 1)
        inner = inner if inner.sum() >= 4 else m
        des.append(float(delta_e(np.median(img[inner], 0), np.asarray(rgb, np.float32))))
    if not ious:
        return float("nan"), float("nan")
    return min(ious), max(des)


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
    invented: int = 0
    fidelity: float = float("nan")
    shape_error: float = float("nan")
    bystander_iou: float = float("nan")
    bystander_de: float = float("nan")

    @property
    def bystanders_ok(self) -> bool:
        """Every other object intact (True when there is none)."""
        return math.isnan(self.bystander_iou) or (self.bystander_iou >= BYSTANDER_IOU_MIN
                                                  and self.bystander_de <= BYSTANDER_DE_MAX)

    def to_dict(self) -> dict:
        return dict(asdict(self), bystanders_ok=self.bystanders_ok)

    @classmethod
    def from_dict(cls, d: dict) -> "EditScore":
        return cls(**{k: v for k, v in d.items() if k != "bystanders_ok"})

    def line(self) -> str:
        """One progress line."""
        md = f" md={self.md_start:.1f}->{self.md_end:.1f}" if not math.isnan(self.md_start) else ""
        return (f"success={self.success} iou={self.iou:.2f} fid={self.fidelity:.2f} err={self.shape_error:.2f}px "
                f"invented={self.invented} "
                f"bystanders={'ok' if self.bystanders_ok else 'DAMAGED'} ghost={self.ghost:.2f} "
                f"bg={self.bg_psnr:.1f}dB{md} {self.seconds:.1f}s")


def _le(x: float, lim: float) -> bool:
    return math.isnan(x) or x <= lim


def score(result, task: Task, seconds: float = float("nan")) -> EditScore:
    """All metrics of one edited image plus the success flag.

    success (every kind): IoU ≥ 0.5, background PSNR ≥ 28 dB, ghost ≤ 0.25 (NaN passes), no invented
    object, shape error ≤ :data:`SHAPE_ERROR_MAX_PX`, every other object intact; drags also need an end
    distance ≤ 30 % of the start distance.
    """
    res = np.asarray(result)
    if res.shape[:2] != (task.res, task.res):
        raise ValueError(f"result must be {task.res}×{task.res}, got {res.shape}")
    s = EditScore(task.id, task.kind, target_iou(res, task), ghost_fraction(res, task), background_psnr(res, task),
                  seconds=seconds)
    s.invented = invented_objects(res, task)
    s.fidelity, s.shape_error = fidelity(res, task)
    s.bystander_iou, s.bystander_de = bystanders(res, task)
    ok = (s.iou >= IOU_MIN and s.bg_psnr >= BG_PSNR_MIN and _le(s.ghost, GHOST_MAX) and s.invented == 0
          and s.shape_error <= SHAPE_ERROR_MAX_PX and s.bystanders_ok)
    if task.kind in DRAG_KINDS:
        s.md_start, s.md_end = drag_distances(res, task)
        ok = ok and not math.isnan(s.md_end) and s.md_end <= (1 - DRAG_CUT_MIN) * s.md_start
    s.success = bool(ok)
    return s


def summarize(scores: list[EditScore]) -> dict:
    """Per kind: n, success rate, mean IoU / ghost / background PSNR / drag distances / seconds, the share
    of edits with an invented object (``invented_rate``), mean fidelity IoU and the share with shape
    error ≤ :data:`SHAPE_ERROR_MAX_PX` (``fidelity_ok``), the share of edits with other objects whose others all stayed
    intact (``bystanders_intact``, over ``bystanders_n`` edits) and the share with bg PSNR ≥ 28 dB.

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
        judged = [s.bystanders_ok for s in ss if not math.isnan(s.bystander_iou)]
        out[kind] = dict(n=len(ss), success=float(np.mean([s.success for s in ss])), iou=mean("iou"),
                         ghost=mean("ghost"), bg_psnr=mean("bg_psnr"), md_start=md_start, md_end=md_end,
                         md_lost=lost, seconds=mean("seconds"),
                         invented_rate=float(np.mean([s.invented > 0 for s in ss])), invented=mean("invented"),
                         fidelity=mean("fidelity"),
                         fidelity_ok=float(np.mean([s.shape_error <= SHAPE_ERROR_MAX_PX for s in ss])),
                         bystanders_intact=float(np.mean(judged)) if judged else float("nan"),
                         bystanders_n=len(judged),
                         bg_ok=float(np.mean([s.bg_psnr >= BG_PSNR_MIN for s in ss])))
    return out
