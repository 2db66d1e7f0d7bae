"""Procedural ShapesBench scenes: flat-coloured shapes on smooth backgrounds, with ground truth.

A :class:`Scene` is plain data (JSON-serialisable through :meth:`Scene.to_dict`); :func:`render`
turns it into an RGB image in [0, 1] plus one anti-aliased alpha mask per shape, at any resolution.
:func:`sample_scene` draws random scenes (training data and benchmark tasks) and
:func:`caption` describes them in the embedded model's vocabulary.
"""

from __future__ import annotations

import colorsys
import math
from dataclasses import asdict, dataclass, field, replace

import numpy as np

#: Named shape colours (hue in degrees) — every name is a token of the embedded model's vocabulary.
SHAPE_HUES: dict[str, float] = {
    "red": 0.0, "orange": 28.0, "yellow": 55.0, "green": 125.0,
    "cyan": 185.0, "blue": 225.0, "purple": 275.0, "pink": 320.0,
}
#: Named background tints: (hue in degrees, saturation range); gray has no hue.
BACKGROUND_TINTS: dict[str, tuple[float, tuple[float, float]]] = {
    "gray": (0.0, (0.0, 0.05)), "blue": (215.0, (0.18, 0.4)), "green": (110.0, (0.18, 0.4)),
    "yellow": (50.0, (0.2, 0.4)), "pink": (335.0, (0.15, 0.35)), "purple": (270.0, (0.15, 0.35)),
}
SHAPE_KINDS = ("circle", "square", "triangle", "diamond")
TEXTURES = ("gradient", "striped", "mottled")
#: Caption adjective per texture ("" = plain gradient, not mentioned); noise and plaid are second-world textures.
TEXTURE_WORDS = {"gradient": "", "striped": "striped", "mottled": "mottled", "noise": "noisy", "plaid": "plaid"}
#: Tone adjectives of shapes (pale, dark) and backgrounds (dark, light), and the near-white colour name.
TONE_WORDS = ("pale", "dark", "light", "white")


def _hsv(h_deg: float, s: float, v: float) -> tuple[float, float, float]:
    return tuple(float(c) for c in colorsys.hsv_to_rgb((h_deg % 360.0) / 360.0, s, v))


@dataclass
class Shape:
    """One flat-coloured shape. Coordinates are fractions of the image side (resolution-free).

    ``vertices`` overrides the kind's polygon (used by drag ground truth); circles ignore it.
    """

    kind: str
    color: str
    rgb: tuple[float, float, float]
    cx: float
    cy: float
    size: float  # diameter as a fraction of the image side
    angle: float = 0.0  # degrees
    vertices: list[tuple[float, float]] | None = None
    tone: str = ""  # "", "pale" or "dark": a caption adjective before the colour name

    @property
    def radius(self) -> float:
        return self.size / 2

    def polygon(self) -> list[tuple[float, float]] | None:
        """Vertices (fractions of the side) for polygon kinds, None for circles."""
        if self.vertices is not None:
            return [tuple(v) for v in self.vertices]
        r = self.radius
        if self.kind == "circle":
            return None
        if self.kind == "square":
            base = [(-1, -1), (1, -1), (1, 1), (-1, 1)]
            k = 0.86 * r
        elif self.kind == "diamond":
            base = [(0, -1.25), (0.9, 0), (0, 1.25), (-0.9, 0)]
            k = r
        elif self.kind == "triangle":  # pointing up (image y grows downward)
            base = [(0, -1.0), (0.866, 0.5), (-0.866, 0.5)]
            k = 1.12 * r
        else:
            raise ValueError(f"Shape.kind must be one of {SHAPE_KINDS}, got {self.kind!r}")
        a = math.radians(self.angle)
        ca, sa = math.cos(a), math.sin(a)
        return [(self.cx + k * (x * ca - y * sa), self.cy + k * (x * sa + y * ca)) for x, y in base]

    def moved(self, dx: float, dy: float, scale: float = 1.0) -> "Shape":
        """The shape translated by (dx, dy) (fractions of the side) and scaled about its centre."""
        verts = None
        if self.vertices is not None:
            verts = [(self.cx + dx + scale * (x - self.cx), self.cy + dy + scale * (y - self.cy)) for x, y in self.vertices]
        return replace(self, cx=self.cx + dx, cy=self.cy + dy, size=self.size * scale, vertices=verts)


@dataclass
class Background:
    """A smooth two-colour gradient, optionally with a soft texture.

    ``layout`` is ``"linear"`` (along ``angle``) or ``"radial"`` (from ``center`` outwards). ``texture``:
    ``"gradient"`` (none), ``"striped"``/``"plaid"`` (summed sine ``waves``), ``"mottled"`` (product of
    sines) or ``"noise"`` (smooth value noise, one octave per entry of ``noise_cells``, from ``noise_seed``).
    """

    tint: str
    c1: tuple[float, float, float]
    c2: tuple[float, float, float]
    angle: float
    texture: str = "gradient"
    amp: float = 0.0
    waves: list[tuple[float, float, float]] = field(default_factory=list)  # (freq, angle, phase) per wave
    layout: str = "linear"
    center: tuple[float, float] = (0.5, 0.5)
    noise_cells: list[int] = field(default_factory=list)
    noise_seed: int = 0
    tone: str = ""  # "", "dark" or "light": a caption adjective


@dataclass
class Scene:
    """Background + shapes (drawn in order). ``to_dict``/``from_dict`` round-trip through JSON."""

    background: Background
    shapes: list[Shape]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> "Scene":
        bg = dict(d["background"])
        bg["c1"], bg["c2"] = tuple(bg["c1"]), tuple(bg["c2"])
        bg["waves"] = [tuple(w) for w in bg.get("waves", [])]
        if "center" in bg:
            bg["center"] = tuple(bg["center"])
        shapes = []
        for s in d["shapes"]:
            s = dict(s)
            s["rgb"] = tuple(s["rgb"])
            if s.get("vertices") is not None:
                s["vertices"] = [tuple(v) for v in s["vertices"]]
            shapes.append(Shape(**s))
        return cls(Background(**bg), shapes)

    def with_shape(self, index: int, shape: Shape) -> "Scene":
        shapes = list(self.shapes)
        shapes[index] = shape
        return Scene(self.background, shapes)


# ---------------------------------------------------------------------------------------------
# rendering


def _grid(res: int) -> tuple[np.ndarray, np.ndarray]:
    c = (np.arange(res, dtype=np.float32) + 0.5) / res
    return np.meshgrid(c, c, indexing="xy")  # xs, ys (fractions of the side)


def _polygon_sdf(xs: np.ndarray, ys: np.ndarray, verts: list[tuple[float, float]]) -> np.ndarray:
    """Exact signed distance (negative inside) to a simple polygon, in the units of the coordinates."""
    v = np.asarray(verts, dtype=np.float32)
    d2 = np.full(xs.shape, np.inf, dtype=np.float32)
    inside = np.zeros(xs.shape, dtype=bool)
    for i in range(len(v)):
        (ax, ay), (bx, by) = v[i], v[(i + 1) % len(v)]
        ex, ey = bx - ax, by - ay
        wx, wy = xs - ax, ys - ay
        t = np.clip((wx * ex + wy * ey) / max(ex * ex + ey * ey, 1e-12), 0.0, 1.0)
        d2 = np.minimum(d2, (wx - t * ex) ** 2 + (wy - t * ey) ** 2)
        crosses = (ay > ys) != (by > ys)
        xint = ax + (ys - ay) * ex / np.where(ey == 0, 1e-12, ey)
        inside ^= crosses & (xs < xint)
    d = np.sqrt(d2)
    return np.where(inside, -d, d)


def shape_alpha(shape: Shape, res: int) -> np.ndarray:
    """Anti-aliased coverage (float32 in [0, 1], shape (res, res)) of ``shape`` at resolution ``res``."""
    xs, ys = _grid(res)
    poly = shape.polygon()
    if poly is None:
        sd = np.sqrt((xs - shape.cx) ** 2 + (ys - shape.cy) ** 2) - shape.radius
    else:
        sd = _polygon_sdf(xs, ys, poly)
    return np.clip(0.5 - sd * res, 0.0, 1.0).astype(np.float32)


def value_noise(cells: int, seed: int, res: int) -> np.ndarray:
    """Smooth value noise in [-1, 1] at ``res``²: a random ``(cells+1)``² lattice, smoothstep-interpolated."""
    lattice = np.random.default_rng(seed).uniform(-1.0, 1.0, size=(cells + 1, cells + 1)).astype(np.float32)
    u = (np.arange(res, dtype=np.float32) + 0.5) / res * cells
    i = np.minimum(u.astype(int), cells - 1)
    f = u - i
    f = f * f * (3 - 2 * f)
    rows = lattice[i] * (1 - f)[:, None] + lattice[i + 1] * f[:, None]  # (res, cells+1), y interpolated
    return rows[:, i] * (1 - f)[None, :] + rows[:, i + 1] * f[None, :]


def _texture(bg: Background, xs: np.ndarray, ys: np.ndarray) -> np.ndarray | None:
    if bg.texture == "noise":
        if not bg.noise_cells:
            return None
        tex = sum(value_noise(c, bg.noise_seed + k, xs.shape[0]) / (k + 1) for k, c in enumerate(bg.noise_cells))
        return tex / sum(1 / (k + 1) for k in range(len(bg.noise_cells)))
    if bg.texture == "gradient" or not bg.waves:
        return None
    tex = np.ones_like(xs) if bg.texture == "mottled" else np.zeros_like(xs)
    for freq, ang, ph in bg.waves:
        u = xs * math.cos(math.radians(ang)) + ys * math.sin(math.radians(ang))
        w = np.sin(2 * math.pi * freq * u + ph)
        tex = tex * w if bg.texture == "mottled" else tex + w
    return tex / len(bg.waves) if bg.texture == "plaid" else tex


def render_background(bg: Background, res: int) -> np.ndarray:
    xs, ys = _grid(res)
    if bg.layout == "radial":
        cx, cy = bg.center
        t = np.clip(np.hypot(xs - cx, ys - cy) / math.sqrt(2.0), 0.0, 1.0)[..., None]
    else:
        a = math.radians(bg.angle)
        t = np.clip((xs - 0.5) * math.cos(a) + (ys - 0.5) * math.sin(a) + 0.5, 0.0, 1.0)[..., None]
    img = np.asarray(bg.c1, np.float32) * (1 - t) + np.asarray(bg.c2, np.float32) * t
    tex = _texture(bg, xs, ys)
    if tex is not None:
        img = img + bg.amp * tex[..., None]
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _box_down(a: np.ndarray, k: int) -> np.ndarray:
    h, w = a.shape[:2]
    return a.reshape(h // k, k, w // k, k, *a.shape[2:]).mean(axis=(1, 3))


def render(scene: Scene, res: int = 64, supersample: int = 1) -> tuple[np.ndarray, list[np.ndarray]]:
    """Render ``scene`` → (image float32 (res, res, 3) in [0, 1], per-shape visible alpha masks).

    A shape's mask is its coverage minus what later shapes cover, so masks describe what is visible.
    ``supersample`` > 1 renders at ``res * supersample`` and box-filters down (anti-aliasing by
    downsampling, as a photo or a larger drawing resized to ``res`` would have).
    """
    if supersample > 1:
        img, masks = render(scene, res * supersample)
        return _box_down(img, supersample), [_box_down(m, supersample) for m in masks]
    img = render_background(scene.background, res)
    alphas = [shape_alpha(s, res) for s in scene.shapes]
    visible = []
    for i, (s, al) in enumerate(zip(scene.shapes, alphas)):
        img = img * (1 - al[..., None]) + np.asarray(s.rgb, np.float32) * al[..., None]
        vis = al.copy()
        for later in alphas[i + 1:]:
            vis *= 1 - later
        visible.append(vis)
    return img, visible


def to_uint8(img: np.ndarray) -> np.ndarray:
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


# ---------------------------------------------------------------------------------------------
# sampling


def sample_background(rng: np.random.Generator) -> Background:
    tint = str(rng.choice(list(BACKGROUND_TINTS)))
    hue, (s_lo, s_hi) = BACKGROUND_TINTS[tint]
    s = rng.uniform(s_lo, s_hi)
    v1 = rng.uniform(0.45, 0.85)
    v2 = float(np.clip(v1 + rng.uniform(-0.25, 0.25), 0.35, 0.92))
    c1 = _hsv(hue + rng.uniform(-10, 10), s, v1)
    c2 = _hsv(hue + rng.uniform(-15, 15), s * rng.uniform(0.7, 1.2), v2)
    texture = str(rng.choice(TEXTURES))
    waves: list[tuple[float, float, float]] = []
    amp = 0.0
    if texture == "striped":
        waves = [(rng.uniform(2.5, 5.0), rng.uniform(0, 180), rng.uniform(0, 2 * math.pi))]
        amp = rng.uniform(0.05, 0.09)
    elif texture == "mottled":
        waves = [(rng.uniform(1.2, 2.6), rng.uniform(0, 180), rng.uniform(0, 2 * math.pi)) for _ in range(2)]
        amp = rng.uniform(0.07, 0.12)
    return Background(tint, c1, c2, rng.uniform(0, 360), texture, amp, waves)


def sample_shape(rng: np.random.Generator, kind: str | None = None, color: str | None = None,
                 size: float | None = None) -> Shape:
    kind = kind or str(rng.choice(SHAPE_KINDS))
    color = color or str(rng.choice(list(SHAPE_HUES)))
    hue = SHAPE_HUES[color] + rng.uniform(-6, 6)
    v = rng.uniform(0.85, 1.0) if color in ("yellow", "cyan") else rng.uniform(0.75, 1.0)
    rgb = _hsv(hue, rng.uniform(0.75, 1.0), v)
    size = size if size is not None else rng.uniform(0.16, 0.32)
    angle = rng.uniform(-12, 12) if kind in ("square", "triangle") else 0.0
    return Shape(kind, color, rgb, 0.5, 0.5, size, angle)


def sample_scene(rng: np.random.Generator, n_shapes: int | None = None, margin: float = 0.02,
                 max_tries: int = 200) -> Scene:
    """A random scene with 1–3 non-overlapping shapes fully inside the image."""
    n = n_shapes if n_shapes is not None else int(rng.integers(1, 4))
    bg = sample_background(rng)
    shapes: list[Shape] = []
    used_colors: set[str] = set()
    for _ in range(max_tries):
        if len(shapes) == n:
            break
        s = sample_shape(rng)
        if s.color in used_colors:
            continue
        r = s.radius * 1.15
        cx, cy = rng.uniform(r + margin, 1 - r - margin, size=2)
        if any(math.hypot(cx - o.cx, cy - o.cy) < r + o.radius * 1.15 + margin for o in shapes):
            continue
        shapes.append(replace(s, cx=float(cx), cy=float(cy)))
        used_colors.add(s.color)
    return Scene(bg, shapes)


def caption(scene: Scene) -> str:
    """'a red circle and a blue square on a striped green background'."""
    parts = [" ".join(w for w in ("a", s.tone, s.color, s.kind) if w) for s in scene.shapes]
    bg = scene.background
    words = " ".join(w for w in (bg.tone, TEXTURE_WORDS[bg.texture], bg.tint) if w)
    bg = f"on a {words} background"
    return (" and ".join(parts) + " " + bg) if parts else bg


#: Every word a caption can contain (the embedded tokenizer's vocabulary is built from this).
CAPTION_WORDS: tuple[str, ...] = tuple(sorted(
    {"a", "and", "on", "background"} | set(SHAPE_HUES) | set(BACKGROUND_TINTS) | set(SHAPE_KINDS)
    | {w for w in TEXTURE_WORDS.values() if w} | set(TONE_WORDS)
))
