"""ShapesBench edit tasks: move, resize, drag, paste and appearance replace, with ground truth.

A :class:`Task` holds the source :class:`~dragon_widgets.bench.scenes.Scene`, the edit parameters in
pixel coordinates of the rendered image (``res`` × ``res``, 64 by default) and the ground-truth
target scene. Images and masks are derived from the scenes by rendering, so a task serialises to a
small JSON dict (:meth:`Task.to_dict` / :meth:`Task.from_dict`).

Coordinates: pixel ``(x, y)`` means the centre of pixel column ``x``, row ``y``; a scene coordinate
``f`` (fraction of the side) is pixel ``f * res - 0.5``. Offsets are whole pixels, so the target
mask of a move is exactly the shifted source mask.

Splits (:data:`SPLITS`): :func:`make_tasks` draws every task from ``numpy.random.default_rng([BENCH_SEED,
split id, kind, i])``; every split has its own id, so no two share a seed (and none shares one with the
training data, which is drawn from ``default_rng([seed, step])``).

* ``tuning`` / ``test``: scenes of the second model's training world (:func:`~dragon_widgets.bench.world.
  sample_world_scene` ``"train"``), inputs at the working size.
* ``shifted``: scenes only from the ranges the training world holds out (``"shifted"``), moves of
  20–33 % of the side, inputs rendered at 128 px (the engine resizes them to its working size).
* ``test-v1``: the first model's test split exactly as before (v1 generator, same seeds), kept so figures
  from before the second world stay comparable.

Kinds: ``drag`` pulls a corner ≈ 5 px (at most 90 % of the shape's radius, one cell of the coarser
feature map); ``drag-far`` pulls it 10–20 px outward. Both are reported separately.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from functools import cached_property

import numpy as np

from .scenes import Scene, Shape, render, render_background, sample_scene, sample_shape, shape_alpha, to_uint8
from .world import MIN_CONTRAST, MIN_SHAPE_DISTANCE, sample_world_scene, sample_world_shape

KINDS = ("move", "resize", "drag", "drag-far", "paste", "appearance")
#: Kinds that pull a polygon corner (``points`` / ``vertex`` set).
DRAG_KINDS = ("drag", "drag-far")


@dataclass(frozen=True)
class Split:
    """How a split draws its tasks.

    ``world``: ``None`` for the v1 scene generator (:func:`~dragon_widgets.bench.scenes.sample_scene`),
    else the :func:`~dragon_widgets.bench.world.sample_world_scene` world. ``input_res``: the size the input
    (and paste/appearance reference) images are rendered at (ground truth and scoring stay at the task's
    ``res``). ``move_frac``: move length range as a fraction of the side (``None``: the v1 rule, from 0.7 of
    the object's size up to half the side).
    """

    id: int
    world: str | None
    input_res: int = 64
    move_frac: tuple[float, float] | None = None


SPLITS: dict[str, Split] = {
    "tuning": Split(11, "train"),
    "test": Split(12, "train"),
    "shifted": Split(13, "shifted", input_res=128, move_frac=(0.20, 0.33)),
    "test-v1": Split(2, None),  # the first model's test split: same seeds, same generator
}
#: Drag length ranges (px at the task's ``res``): ``drag`` keeps the v1 rule (50–90 % of the radius, ≥ 5 px).
DRAG_FAR_PX = (10.0, 20.0)
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
    input_res: int | None = None  # size the input/reference images are rendered at (None: ``res``)

    # ---- serialisation ------------------------------------------------------------------------
    def to_dict(self) -> dict:
        return dict(
            id=self.id, kind=self.kind, split=self.split, seed=list(self.seed), scene=self.scene.to_dict(),
            index=self.index, target=self.target.to_dict(), target_index=self.target_index,
            offset=list(self.offset), scale=self.scale,
            points=[[list(a), list(b)] for a, b in self.points], vertex=self.vertex,
            reference=None if self.reference is None else self.reference.to_dict(), ref_index=self.ref_index,
            res=self.res, input_res=self.input_res,
        )

    @classmethod
    def from_dict(cls, d: dict) -> "Task":
        return cls(
            id=d["id"], kind=d["kind"], split=d["split"], seed=list(d["seed"]), scene=Scene.from_dict(d["scene"]),
            index=int(d["index"]), target=Scene.from_dict(d["target"]), target_index=int(d["target_index"]),
            offset=(int(d["offset"][0]), int(d["offset"][1])), scale=float(d["scale"]),
            points=[(tuple(a), tuple(b)) for a, b in d.get("points", [])], vertex=d.get("vertex"),
            reference=None if d.get("reference") is None else Scene.from_dict(d["reference"]),
            ref_index=d.get("ref_index"), res=int(d.get("res", 64)), input_res=d.get("input_res"),
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
    def in_res(self) -> int:
        """Size of the images handed to the method (``input_res``, default ``res``)."""
        return self.input_res or self.res

    @cached_property
    def _src_in(self) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._src if self.in_res == self.res else render(self.scene, self.in_res)

    @cached_property
    def _ref_in(self) -> tuple[np.ndarray, list[np.ndarray]] | None:
        if self.reference is None or self.in_res == self.res:
            return self._ref
        return render(self.reference, self.in_res)

    @property
    def source_image(self) -> np.ndarray:
        """uint8 (res, res, 3) source at the scoring size (what results are compared with)."""
        return to_uint8(self._src[0])

    @property
    def input_image(self) -> np.ndarray:
        """uint8 (in_res, in_res, 3): the image the method edits."""
        return to_uint8(self._src_in[0])

    @property
    def input_reference_image(self) -> np.ndarray | None:
        return None if self._ref_in is None else to_uint8(self._ref_in[0])

    def input_mask(self) -> np.ndarray:
        """bool (in_res, in_res): the edited object at the input size (paste: empty)."""
        if self.kind == "paste":
            return np.zeros((self.in_res, self.in_res), bool)
        return self._src_in[1][self.index] >= MASK_THRESHOLD

    def input_reference_mask(self) -> np.ndarray | None:
        return None if self._ref_in is None else self._ref_in[1][self.ref_index] >= MASK_THRESHOLD

    def to_input(self, x: float, y: float) -> tuple[float, float]:
        """A pixel position at ``res`` → the same point at ``in_res`` (pixel centres map to pixel centres)."""
        k = self.in_res / self.res
        return ((x + 0.5) * k - 0.5, (y + 0.5) * k - 0.5)

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
    def bystanders(self) -> list[int]:
        """Indices (in ``target``) of the shapes the edit must leave as they are."""
        return [i for i in range(len(self.target.shapes)) if i != self.target_index]

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


def _contrast_ok(shape: Shape, bg: np.ndarray) -> bool:
    """The shape's colour differs from the background under its centre by ≥ ``MIN_CONTRAST`` (RGB)."""
    res = bg.shape[0]
    y, x = min(res - 1, max(0, int(shape.cy * res))), min(res - 1, max(0, int(shape.cx * res)))
    return float(np.linalg.norm(np.asarray(shape.rgb) - bg[y, x])) >= MIN_CONTRAST


def _colour_clear(rgb, others: list[Shape]) -> bool:
    return all(np.linalg.norm(np.asarray(rgb) - np.asarray(o.rgb)) >= MIN_SHAPE_DISTANCE for o in others)


def _move_like(rng, scene: Scene, res: int, split: Split, resize: bool) -> dict | None:
    i = _pick(rng, scene)
    if i is None:
        return None
    s = scene.shapes[i]
    others = [o for j, o in enumerate(scene.shapes) if j != i]
    world = split.world is not None
    if world and not _fits(s, others, res):
        return None  # world scenes may overlap; an edited object starts clear of the others
    bg = render_background(scene.background, res) if world else None
    if resize:
        scale = float(rng.choice([rng.uniform(0.55, 0.7), rng.uniform(1.4, 1.7)]))
        scale = round(scale, 2)
        max_off = 0.8 * s.size * res
        min_off = 0.35 * s.size * res
    elif split.move_frac is not None:
        min_off, max_off = (f * res for f in split.move_frac)
    else:
        scale = 1.0
        max_off = 0.5 * res
        min_off = max(6.0, 0.7 * s.size * res)  # leave a real vacated area behind
    scale = scale if resize else 1.0
    for _ in range(60):
        ang = rng.uniform(0, 2 * math.pi)
        dist = rng.uniform(min_off, max_off)
        dx, dy = int(round(dist * math.cos(ang))), int(round(dist * math.sin(ang)))
        d = math.hypot(dx, dy)
        if d < min_off or (split.move_frac is not None and d > max_off):
            continue
        t = s.moved(dx / res, dy / res, scale)
        if _fits(t, others, res) and (bg is None or _contrast_ok(t, bg)):
            return dict(index=i, target=scene.with_shape(i, t), target_index=i, offset=(dx, dy), scale=scale)
    return None


def _drag(rng, scene: Scene, res: int, split: Split, far: bool = False) -> dict | None:
    i = _pick(rng, scene, ("square", "triangle", "diamond"))
    if i is None:
        return None
    s = scene.shapes[i]
    poly = s.polygon()
    others = [o for j, o in enumerate(scene.shapes) if j != i]
    if split.world is not None and not _fits(s, others, res):
        return None
    for _ in range(40):
        k = int(rng.integers(len(poly)))
        vx, vy = poly[k]
        ux, uy = vx - s.cx, vy - s.cy
        n = math.hypot(ux, uy)
        ux, uy = ux / n, uy / n
        if far:  # pulled 10–20 px outward: the shape grows a long corner
            amount = rng.uniform(*DRAG_FAR_PX)
            side = rng.uniform(-0.3, 0.3) * amount
            length = (DRAG_FAR_PX[0] - 0.5, DRAG_FAR_PX[1] + 0.5)
        else:
            outward = rng.random() < 0.6
            amount = rng.uniform(0.5, 0.9) * s.radius * res * (1 if outward else -1)
            amount = math.copysign(max(abs(amount), 5.0), amount)
            # a little sideways component so drags are not always radial
            side = rng.uniform(-0.3, 0.3) * abs(amount)
            length = (4.0, math.inf)
        h = (round(_px(vx, res)), round(_px(vy, res)))
        tx, ty = amount * ux - side * uy, amount * uy + side * ux
        t_pt = (round(h[0] + tx), round(h[1] + ty))
        ddx, ddy = t_pt[0] - h[0], t_pt[1] - h[1]
        if not length[0] <= math.hypot(ddx, ddy) <= length[1]:
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


def _paste(rng, scene: Scene, res: int, split: Split) -> dict | None:
    used = {s.color for s in scene.shapes}
    bg = render_background(scene.background, res) if split.world is not None else None
    for _ in range(20):
        if split.world is None:
            ref = sample_scene(rng, n_shapes=int(rng.integers(1, 3)))
            cand = [j for j, s in enumerate(ref.shapes) if s.color not in used]
        else:
            ref = sample_world_scene(rng, split.world, n_shapes=int(rng.integers(1, 3)))
            cand = [j for j, s in enumerate(ref.shapes) if _colour_clear(s.rgb, scene.shapes)
                    and _fits(s, [o for k, o in enumerate(ref.shapes) if k != j], res)]
        if not cand:
            continue
        j = int(rng.choice(cand))
        r = ref.shapes[j]
        for _ in range(40):
            tx, ty = rng.uniform(r.radius + 0.03, 1 - r.radius - 0.03, size=2)
            dx, dy = int(round((tx - r.cx) * res)), int(round((ty - r.cy) * res))
            t = r.moved(dx / res, dy / res)
            if _fits(t, scene.shapes, res) and (bg is None or _contrast_ok(t, bg)):
                target = Scene(scene.background, list(scene.shapes) + [t])
                return dict(index=-1, target=target, target_index=len(scene.shapes), offset=(dx, dy), scale=1.0,
                            reference=ref, ref_index=j)
    return None


def _appearance(rng, scene: Scene, res: int, split: Split) -> dict | None:
    i = _pick(rng, scene)
    if i is None:
        return None
    s = scene.shapes[i]
    if split.world is not None:
        return _appearance_world(rng, scene, res, split.world, i)
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


def _appearance_world(rng, scene: Scene, res: int, world: str, i: int) -> dict | None:
    """Appearance replace in a world split: a new colour clear of every shape's, visible on both backgrounds."""
    s = scene.shapes[i]
    others = [o for j, o in enumerate(scene.shapes) if j != i]
    if not _fits(s, others, res):
        return None
    bg = render_background(scene.background, res)
    for _ in range(30):
        ref = sample_world_scene(rng, world, n_shapes=int(rng.integers(1, 3)))
        if not ref.shapes:
            continue
        j = int(rng.integers(len(ref.shapes)))
        old = ref.shapes[j]
        new = replace(sample_world_shape(rng, world, size=old.size), cx=old.cx, cy=old.cy)
        t = replace(s, color=new.color, rgb=new.rgb, tone=new.tone)
        if not (_colour_clear(new.rgb, scene.shapes) and _contrast_ok(t, bg)
                and _contrast_ok(new, render_background(ref.background, res))):
            continue
        shapes = [o for k, o in enumerate(ref.shapes) if k != j and _colour_clear(o.rgb, [new])]
        ref = Scene(ref.background, shapes + [new])
        if not _fits(new, shapes, res):
            continue
        return dict(index=i, target=scene.with_shape(i, t), target_index=i, reference=ref, ref_index=len(shapes))
    return None


_BUILDERS = {
    "move": lambda rng, sc, res, sp: _move_like(rng, sc, res, sp, resize=False),
    "resize": lambda rng, sc, res, sp: _move_like(rng, sc, res, sp, resize=True),
    "drag": _drag,
    "drag-far": lambda rng, sc, res, sp: _drag(rng, sc, res, sp, far=True),
    "paste": _paste,
    "appearance": _appearance,
}
#: Seed id per kind (stable: adding a kind must not change the tasks of the others).
KIND_IDS = {"move": 0, "resize": 1, "drag": 2, "paste": 3, "appearance": 4, "drag-far": 5}


def get_split(split: str) -> Split:
    if split not in SPLITS:
        raise ValueError(f"split must be one of {tuple(SPLITS)}, got {split!r}")
    return SPLITS[split]


def _scene(rng: np.random.Generator, sp: Split, kind: str) -> Scene:
    if sp.world is None:
        n = int(rng.integers(1, 4))
        if kind == "paste":  # v1 drew twice for paste; kept so test-v1 reproduces the old tasks exactly
            n = int(rng.integers(1, 3))
        return sample_scene(rng, n_shapes=n)
    n = int(rng.integers(1, 4)) if kind == "paste" else None
    return sample_world_scene(rng, sp.world, n_shapes=n)


def make_task(kind: str, split: str = "test", i: int = 0, res: int = 64) -> Task:
    """Task number ``i`` of ``kind`` in ``split`` (deterministic; redraws scenes until one is valid)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    sp = get_split(split)
    seed = [BENCH_SEED, sp.id, KIND_IDS[kind], int(i)]
    rng = np.random.default_rng(seed)
    for _ in range(200):
        scene = _scene(rng, sp, kind)
        if len(scene.shapes) == 0:
            continue
        spec = _BUILDERS[kind](rng, scene, res, sp)
        if spec is not None:
            input_res = sp.input_res * res // 64 if sp.input_res != 64 else None
            return Task(id=f"{split}-{kind}-{i:03d}", kind=kind, split=split, seed=seed, scene=scene, res=res,
                        input_res=input_res, **spec)
    raise RuntimeError(f"could not build a {kind} task for seed {seed}")


def make_tasks(split: str = "test", n: int = 20, kinds: tuple[str, ...] | list[str] = KINDS, res: int = 64,
               start: int = 0) -> list[Task]:
    """``n`` tasks per kind (tasks ``start`` … ``start + n - 1``), in kind order."""
    return [make_task(k, split, i, res) for k in kinds for i in range(start, start + n)]


def _plain_scenes(split: str, n: int, stream: int) -> list[Scene]:
    sp = get_split(split)
    rngs = (np.random.default_rng([BENCH_SEED, sp.id, stream, i]) for i in range(n))
    return [sample_scene(r) if sp.world is None else sample_world_scene(r, sp.world) for r in rngs]


def inversion_scenes(n: int = 50, split: str = "test") -> list[Scene]:
    """``n`` plain scenes of a split (inversion / reconstruction benchmark)."""
    return _plain_scenes(split, n, 99)


def caption_scenes(n: int = 64, split: str = "test") -> list[Scene]:
    """``n`` scenes whose captions are used for the caption-sampling check."""
    return _plain_scenes(split, n, 98)


def save_tasks(tasks: list[Task], path) -> None:
    import json
    from pathlib import Path

    Path(path).write_text(json.dumps([t.to_dict() for t in tasks]))


def load_tasks(path) -> list[Task]:
    import json
    from pathlib import Path

    return [Task.from_dict(d) for d in json.loads(Path(path).read_text())]
