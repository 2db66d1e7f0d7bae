"""ShapesBench edit tasks: move, resize, drag, paste and appearance replace, with ground truth.

A :class:`Task` holds the source :class:`~dragon_widgets.bench.scenes.Scene`, the edit parameters in
pixel coordinates of the rendered image (``res`` × ``res``, 64 by default) and the ground-truth
target scene. Images and masks are derived from the scenes by rendering, so a task serialises to a
small JSON dict (:meth:`Task.to_dict` / :meth:`Task.from_dict`).

Coordinates: pixel ``(x, y)`` means the centre of pixel column ``x``, row ``y``; a scene coordinate
``f`` (fraction of the side) is pixel ``f * res - 0.5``. Offsets are whole pixels, so the target
mask of a move is exactly the shifted source mask.

Splits: :func:`make_tasks` draws every task from ``numpy.random.default_rng([BENCH_SEED, split, kind,
i])``. The ``tuning`` and ``test`` splits use different ``split`` ids, so they never share a seed (and
neither shares one with the training data, which is drawn from ``default_rng([seed, step])``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .scenes import Scene, Shape, render, render_background, sample_scene, sample_shape, shape_alpha, to_uint8

KINDS = ("move", "resize", "drag", "paste", "appearance")
SPLITS = {"tuning": 1, "test": 2}
BENCH_SEED = 7301
#: Alpha threshold that turns anti-aliased coverage into a bool object mask.
MASK_THRESHOLD = 0.5
#: Minimum gap (pixels) between an edited object and any other shape, and between it and the border.
GAP_PX = 2


@dataclass
class Task:
    """One edit with ground truth. Pixel units of a ``res`` × ``res`` image throughout.

    * ``index``: the edited shape in ``scene`` (for ``paste``, the pasted shape in ``reference``).
    * ``offset`` (dx, dy) and ``scale``: move/resize/paste geometry; the object is scaled about
      ``center`` (its centroid, pixels) and then translated by ``offset``.
    * ``points``: drag handle → target pairs ``[((x0, y0), (x1, y1))]`` (a polygon vertex dragged).
    * ``vertex``: which polygon vertex of the shape the drag moves.
    * ``reference``/``ref_index``: paste source or appearance reference scene and its object.
    * ``target``: the ground-truth result scene; ``target_index`` the edited shape in it.
    """

    id: str
    kind: str
    split: str
    seed: list[int]
    scene: Scene
    index: int
    target: Scene
    target_index: int
    offset: tuple[int, int] = (0, 0)
    scale: float = 1.0
    points: list[tuple[tuple[float, float], tuple[float, float]]] = field(default_factory=list)
    vertex: int | None = None
    reference: Scene | None = None
    ref_index: int | None = None
    res: int = 64

    # ---- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dict(
            id=self.id, kind=self.kind, split=self.split, seed=list(self.seed), scene=self.scene.to_dict(),
            index=self.index, target=self.target.to_dict(), target_index=self.target_index,
            offset=list(self.offset), scale=self.scale,
            points=[[list(a), list(b)] for a, b in self.points], vertex=self.vertex,
            reference=None if self.reference is None else self.reference.to_dict(), ref_index=self.ref_index,
            res=self.res,
        )

    @classmethod
    def from_dict(cls, d: dict) -> "Task":
        return cls(
            id=d["id"], kind=d["kind"], split=d["split"], seed=list(d["seed"]), scene=Scene.from_dict(d["scene"]),
            index=int(d["index"]), target=Scene.from_dict(d["target"]), target_index=int(d["target_index"]),
            offset=(int(d["offset"][0]), int(d["offset"][1])), scale=float(d["scale"]),
            points=[(tuple(a), tuple(b)) for a, b in d.get("points", [])], vertex=d.get("vertex"),
            reference=None if d.get("reference") is None else Scene.from_dict(d["reference"]),
            ref_index=d.get("ref_index"), res=int(d.get("res", 64)),
        )

    # ---- derived images and masks (rendered on demand, cached) ---------------------------------
    @cached_property
    def _src(self) -> tuple[np.ndarray, list[np.ndarray]]:
        return render(self.scene, self.res)

    @cached_property
    def _tgt(self) -> tuple[np.ndarray, list[np.ndarray]]:
        return render(self.target, self.res)

    @cached_property
    def _ref(self) -> tuple[np.ndarray, list[np.ndarray]] | None:
        return None if self.reference is None else render(self.reference, self.res)

    @property
    def source_image(self) -> np.ndarray:
        """uint8 (res, res, 3) input image."""
        return to_uint8(self._src[0])

    @property
    def target_image(self) -> np.ndarray:
        """uint8 (res, res, 3) ground-truth result."""
        return to_uint8(self._tgt[0])

    @property
    def reference_image(self) -> np.ndarray | None:
        return None if self._ref is None else to_uint8(self._ref[0])

    @property
    def background_image(self) -> np.ndarray:
        """float32 (res, res, 3) background of the source scene without any shape."""
        return render_background(self.scene.background, self.res)

    @property
    def mask(self) -> np.ndarray:
        """bool (res, res): the edited object in the source (paste: empty; use ``reference_mask``)."""
        if self.kind == "paste":
            return np.zeros((self.res, self.res), bool)
        return self._src[1][self.index] >= MASK_THRESHOLD

    @property
    def reference_mask(self) -> np.ndarray | None:
        """bool (res, res): the pasted object / appearance reference object in ``reference_image``."""
        return None if self._ref is None else self._ref[1][self.ref_index] >= MASK_THRESHOLD

    @property
    def target_mask(self) -> np.ndarray:
        """bool (res, res): where the edited object is in the ground truth."""
        return self._tgt[1][self.target_index] >= MASK_THRESHOLD

    @property
    def object_shape(self) -> Shape:
        """The edited object as it looks in the result (colour to look for)."""
        return self.target.shapes[self.target_index]

    @property
    def source_shape(self) -> Shape:
        return self.reference.shapes[self.ref_index] if self.kind == "paste" else self.scene.shapes[self.index]

    @property
    def center(self) -> tuple[float, float]:
        """Pixel centre the object is scaled about (the shape's centroid)."""
        s = self.source_shape
        return (s.cx * self.res - 0.5, s.cy * self.res - 0.5)

    @property
    def other_rgbs(self) -> list[tuple[float, float, float]]:
        """Colours of every other shape in the result (segmentation distractors)."""
        return [s.rgb for i, s in enumerate(self.target.shapes) if i != self.target_index]

    def __repr__(self) -> str:
        s = self.object_shape
        return f"Task({self.id!r}, {s.color} {s.kind}, offset={self.offset}, scale={self.scale:.2f}, points={self.points})"


# ---------------------------------------------------------------------------------------------
# geometry helpers


def _alpha_mask(shape: Shape, res: int) -> np.ndarray:
    return shape_alpha(shape, res) >= MASK_THRESHOLD


def _grow(mask: np.ndarray, r: int) -> np.ndarray:
    out = mask.copy()
    for _ in range(r):
        m = out.copy()
        m[1:] |= out[:-1]; m[:-1] |= out[1:]; m[:, 1:] |= out[:, :-1]; m[:, :-1] |= out[:, 1:]
        out = m
    return out


def _fits(shape: Shape, others: list[Shape], res: int, gap: int = GAP_PX) -> bool:
    """Inside the image with ``gap`` px to the border and to every other shape (by coverage masks)."""
    cov = shape_alpha(shape, res) > 0
    if not cov.any():
        return False
    ys, xs = np.nonzero(cov)
    if xs.min() < gap or ys.min() < gap or xs.max() > res - 1 - gap or ys.max() > res - 1 - gap:
        return False
    grown = _grow(cov, gap)
    return not any((grown & (shape_alpha(o, res) > 0)).any() for o in others)


def _poly_area(verts: list[tuple[float, float]]) -> float:
    v = np.asarray(verts, float)
    x, y = v[:, 0], v[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))


def _is_convex(verts: list[tuple[float, float]]) -> bool:
    v = np.asarray(verts, float)
    n = len(v)
    signs = []
    for i in range(n):
        a, b, c = v[i], v[(i + 1) % n], v[(i + 2) % n]
        signs.append(np.sign((b[0] - a[0]) * (c[1] - b[1]) - (b[1] - a[1]) * (c[0] - b[0])))
    return all(s == signs[0] and s != 0 for s in signs)


def _corner_deg(verts: list[tuple[float, float]], k: int) -> float:
    """Interior angle (degrees) of a convex polygon at vertex ``k``."""
    v = np.asarray(verts, float)
    a, b, c = v[k - 1], v[k], v[(k + 1) % len(v)]
    u, w = a - b, c - b
    cosang = float(np.dot(u, w) / max(np.linalg.norm(u) * np.linalg.norm(w), 1e-12))
    return math.degrees(math.acos(max(-1.0, min(1.0, cosang))))


def _px(f: float, res: int) -> float:
    return f * res - 0.5


# ---------------------------------------------------------------------------------------------
# task construction per kind (each returns None when this draw cannot make a valid task)


def _pick(rng: np.random.Generator, scene: Scene, kinds: tuple[str, ...] | None = None) -> int | None:
    idx = [i for i, s in enumerate(scene.shapes) if kinds is None or s.kind in kinds]
    return None if not idx else int(rng.choice(idx))


def _move_like(rng, scene: Scene, res: int, resize: bool) -> dict | None:
    i = _pick(rng, scene)
    if i is None:
        return None
    s = scene.shapes[i]
    others = [o for j, o in enumerate(scene.shapes) if j != i]
    if resize:
        scale = float(rng.choice([rng.uniform(0.55, 0.7), rng.uniform(1.4, 1.7)]))
        scale = round(scale, 2)
        max_off = 0.8 * s.size * res
        min_off = 0.35 * s.size * res
    else:
        scale = 1.0
        max_off = 0.5 * res
        min_off = max(6.0, 0.7 * s.size * res)  # leave a real vacated area behind
    for _ in range(60):
        ang = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(min_off, max_off)
        dx, dy = int(round(dist * math.cos(ang))), int(round(dist * math.sin(ang)))
        if math.hypot(dx, dy) < min_off:
            continue
        t = s.moved(dx / res, dy / res, scale)
        if _fits(t, others, res):
            return dict(index=i, target=scene.with_shape(i, t), target_index=i, offset=(dx, dy), scale=scale)
    return None


def _drag(rng, scene: Scene, res: int) -> dict | None:
    i = _pick(rng, scene, ("square", "triangle", "diamond"))
    if i is None:
        return None
    s = scene.shapes[i]
    poly = s.polygon()
    others = [o for j, o in enumerate(scene.shapes) if j != i]
    for _ in range(40):
        k = int(rng.integers(len(poly)))
        vx, vy = poly[k]
        ux, uy = vx - s.cx, vy - s.cy
        n = math.hypot(ux, uy)
        ux, uy = ux / n, uy / n
        outward = rng.random() < 0.6
        amount = rng.uniform(0.5, 0.9) * s.radius * res * (1 if outward else -1)
        amount = math.copysign(max(abs(amount), 5.0), amount)
        # a little sideways component so drags are not always radial
        side = rng.uniform(-0.3, 0.3) * abs(amount)
        h = (round(_px(vx, res)), round(_px(vy, res)))
        tx, ty = amount * ux - side * uy, amount * uy + side * ux
        t_pt = (round(h[0] + tx), round(h[1] + ty))
        ddx, ddy = t_pt[0] - h[0], t_pt[1] - h[1]
        if math.hypot(ddx, ddy) < 4:
            continue
        verts = list(poly)
        verts[k] = (vx + ddx / res, vy + ddy / res)
        if not _is_convex(verts) or abs(_poly_area(verts)) < 0.3 * abs(_poly_area(poly)):
            continue
        if max(_corner_deg(verts, j) for j in (k - 1, k, (k + 1) % len(verts))) > 145:
            continue  # the dragged vertex (and its neighbours) must stay clear corners
        t = replace(s, vertices=[tuple(map(float, v)) for v in verts])
        if _fits(t, others, res):
            return dict(index=i, target=scene.with_shape(i, t), target_index=i,
                        points=[((float(h[0]), float(h[1])), (float(t_pt[0]), float(t_pt[1])))], vertex=k)
    return None


def _paste(rng, scene: Scene, res: int) -> dict | None:
    used = {s.color for s in scene.shapes}
    for _ in range(20):
        ref = sample_scene(rng, n_shapes=int(rng.integers(1, 3)))
        cand = [j for j, s in enumerate(ref.shapes) if s.color not in used]
        if not cand:
            continue
        j = int(rng.choice(cand))
        r = ref.shapes[j]
        for _ in range(40):
            tx, ty = rng.uniform(r.radius + 0.03, 1 - r.radius - 0.03, size=2)
            dx, dy = int(round((tx - r.cx) * res)), int(round((ty - r.cy) * res))
            t = r.moved(dx / res, dy / res)
            if _fits(t, scene.shapes, res):
                target = Scene(scene.background, list(scene.shapes) + [t])
                return dict(index=-1, target=target, target_index=len(scene.shapes), offset=(dx, dy), scale=1.0,
                            reference=ref, ref_index=j)
    return None


def _appearance(rng, scene: Scene, res: int) -> dict | None:
    i = _pick(rng, scene)
    if i is None:
        return None
    s = scene.shapes[i]
    used = {o.color for o in scene.shapes}
    from .scenes import SHAPE_HUES

    free = [c for c in SHAPE_HUES if c not in used]
    color = str(rng.choice(free))
    ref = sample_scene(rng, n_shapes=int(rng.integers(1, 3)))
    # Put a shape of the new colour into the reference (replacing one of its shapes, same slot/place).
    j = int(rng.integers(len(ref.shapes)))
    old = ref.shapes[j]
    new = sample_shape(rng, color=color, size=old.size)
    new = replace(new, cx=old.cx, cy=old.cy)
    shapes = [o for k, o in enumerate(ref.shapes) if k != j and o.color != color]
    ref = Scene(ref.background, shapes + [new])
    t = replace(s, color=new.color, rgb=new.rgb)
    return dict(index=i, target=scene.with_shape(i, t), target_index=i, reference=ref, ref_index=len(shapes))


_BUILDERS = {
    "move": lambda rng, sc, res: _move_like(rng, sc, res, resize=False),
    "resize": lambda rng, sc, res: _move_like(rng, sc, res, resize=True),
    "drag": _drag,
    "paste": _paste,
    "appearance": _appearance,
}


def make_task(kind: str, split: str = "test", i: int = 0, res: int = 64) -> Task:
    """Task number ``i`` of ``kind`` in ``split`` (deterministic; redraws scenes until one is valid)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    if split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
    seed = [BENCH_SEED, SPLITS[split], KINDS.index(kind), int(i)]
    rng = np.random.default_rng(seed)
    for _ in range(100):
        n = int(rng.integers(1, 4))
        if kind == "paste":
            n = int(rng.integers(1, 3))
        scene = sample_scene(rng, n_shapes=n)
        if len(scene.shapes) == 0:
            continue
        spec = _BUILDERS[kind](rng, scene, res)
        if spec is not None:
            return Task(id=f"{split}-{kind}-{i:03d}", kind=kind, split=split, seed=seed, scene=scene, res=res, **spec)
    raise RuntimeError(f"could not build a {kind} task for seed {seed}")


def make_tasks(split: str = "test", n: int = 20, kinds: tuple[str, ...] | list[str] = KINDS, res: int = 64,
               start: int = 0) -> list[Task]:
    """``n`` tasks per kind (tasks ``start`` … ``start + n - 1``), in kind order."""
    return [make_task(k, split, i, res) for k in kinds for i in range(start, start + n)]


def inversion_scenes(n: int = 50, split: str = "test") -> list[Scene]:
    """``n`` plain scenes of a split (inversion / reconstruction benchmark)."""
    return [sample_scene(np.random.default_rng([BENCH_SEED, SPLITS[split], 99, i])) for i in range(n)]


def caption_scenes(n: int = 64, split: str = "test") -> list[Scene]:
    """``n`` scenes whose captions are used for the caption-sampling check."""
    return [sample_scene(np.random.default_rng([BENCH_SEED, SPLITS[split], 98, i])) for i in range(n)]


def save_tasks(tasks: list[Task], path) -> None:
    import json
    from pathlib import Path

    Path(path).write_text(json.dumps([t.to_dict() for t in tasks]))


def load_tasks(path) -> list[Task]:
    import json
    from pathlib import Path

    return [Task.from_dict(d) for d in json.loads(Path(path).read_text())]
