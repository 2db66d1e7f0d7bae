"""The broad scene world of the second embedded model, and the shifted world held out of its training.

``sample_world_scene(rng, "train")`` draws what the embedded model is trained on: linear gradients at any
angle and contrast (dark, mid and light), soft stripes at any angle and frequency, smooth value noise at
several scales, mottled sines; 1–4 circles, squares, triangles or diamonds in saturated, pale (down to
near-white) or dark colours of any hue, sizes 9–34 % of the side, sometimes overlapping, sometimes rotated
to any angle. ``"shifted"`` draws only from ranges the training world never uses (:data:`HELD_OUT`):
radial gradients and plaid textures, shape and background hues in two held-out bands, and object sizes in
a held-out band. Every draw is a plain :class:`~dragon_widgets.bench.scenes.Scene`.
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from .scenes import SHAPE_HUES, SHAPE_KINDS, Background, Scene, Shape, _hsv, render_background

WORLDS = ("train", "shifted")

#: What the training world never draws; the shifted world draws only from it.
HELD_OUT: dict = dict(
    hue_bands=((88.0, 104.0), (292.0, 308.0)),  # degrees: a yellow-green and a violet-magenta band
    size_band=(0.14, 0.17),  # object diameter as a fraction of the side
    layouts=("radial",),
    textures=("plaid",),
)
TRAIN_SIZES = (0.09, 0.34)
TRAIN_TEXTURES = {"gradient": 0.3, "striped": 0.25, "noise": 0.3, "mottled": 0.15}
SHAPE_COUNTS = {1: 0.35, 2: 0.3, 3: 0.2, 4: 0.15}
#: Minimum RGB distance between a shape and the background under it (and between two shapes' colours).
MIN_CONTRAST = 0.35
MIN_SHAPE_DISTANCE = 0.25


def _in_bands(hue: float) -> bool:
    h = hue % 360.0
    return any(lo <= h <= hi for lo, hi in HELD_OUT["hue_bands"])


def _hue(rng: np.random.Generator, world: str) -> float:
    if world == "shifted":
        lo, hi = HELD_OUT["hue_bands"][int(rng.integers(len(HELD_OUT["hue_bands"])))]
        return float(rng.uniform(lo, hi))
    while True:
        h = float(rng.uniform(0.0, 360.0))
        if not _in_bands(h):
            return h


def hue_name(hue: float) -> str:
    """The nearest named colour of :data:`~dragon_widgets.bench.scenes.SHAPE_HUES`."""
    return min(SHAPE_HUES, key=lambda n: abs((hue - SHAPE_HUES[n] + 180.0) % 360.0 - 180.0))


def _size(rng: np.random.Generator, world: str) -> float:
    if world == "shifted":
        return float(rng.uniform(*HELD_OUT["size_band"]))
    lo, hi = TRAIN_SIZES
    b_lo, b_hi = HELD_OUT["size_band"]
    s = float(rng.uniform(lo, hi - (b_hi - b_lo)))  # uniform over [lo, hi] minus the held-out band
    return s + (b_hi - b_lo) if s >= b_lo else s


def sample_world_background(rng: np.random.Generator, world: str = "train") -> Background:
    """A background of ``world`` (see the module docstring)."""
    tone = str(rng.choice(["dark", "", "light"], p=[0.25, 0.4, 0.35]))
    v_range = {"dark": (0.06, 0.32), "": (0.35, 0.68), "light": (0.72, 0.97)}[tone]
    hue = _hue(rng, world) if world == "shifted" and rng.random() < 0.5 else _hue(rng, "train")
    sat = float(rng.uniform(0.0, 0.5)) if rng.random() < 0.8 else float(rng.uniform(0.0, 0.08))
    v1 = float(rng.uniform(*v_range))
    v2 = float(np.clip(v1 + rng.uniform(-0.3, 0.3), 0.03, 0.98))
    c1 = _hsv(hue, sat, v1)
    c2 = _hsv(hue + rng.uniform(-25, 25), float(np.clip(sat * rng.uniform(0.6, 1.3), 0, 1)), v2)
    tint = "gray" if sat < 0.1 else hue_name(hue)
    bg = Background(tint, c1, c2, float(rng.uniform(0, 360)), tone=tone)
    if world == "shifted":
        bg = replace(bg, layout="radial", center=(float(rng.uniform(0, 1)), float(rng.uniform(0, 1))))
        if rng.random() < 0.5:
            a = float(rng.uniform(0, 180))
            bg = replace(bg, texture="plaid", amp=float(rng.uniform(0.04, 0.12)), waves=[
                (float(rng.uniform(1.5, 7)), a, float(rng.uniform(0, 2 * math.pi))),
                (float(rng.uniform(1.5, 7)), a + float(rng.uniform(60, 120)), float(rng.uniform(0, 2 * math.pi)))])
        return bg
    texture = str(rng.choice(list(TRAIN_TEXTURES), p=list(TRAIN_TEXTURES.values())))
    if texture == "striped":
        bg = replace(bg, texture=texture, amp=float(rng.uniform(0.03, 0.14)),
                     waves=[(float(rng.uniform(1.5, 8.0)), float(rng.uniform(0, 180)), float(rng.uniform(0, 2 * math.pi)))])
    elif texture == "noise":
        base = int(rng.integers(2, 13))
        cells = [base] if rng.random() < 0.6 else [base, min(2 * base, 16)]
        amp = float(rng.uniform(0.04, 0.2 if base <= 6 else 0.12))  # fine noise stays soft
        bg = replace(bg, texture=texture, amp=amp, noise_cells=cells,
                     noise_seed=int(rng.integers(2**31)))
    elif texture == "mottled":
        bg = replace(bg, texture=texture, amp=float(rng.uniform(0.05, 0.12)),
                     waves=[(float(rng.uniform(1.2, 2.6)), float(rng.uniform(0, 180)), float(rng.uniform(0, 2 * math.pi)))
                            for _ in range(2)])
    return bg


def sample_world_shape(rng: np.random.Generator, world: str = "train", kind: str | None = None,
                       size: float | None = None) -> Shape:
    """A shape of ``world`` at the image centre (callers place it)."""
    kind = kind or str(rng.choice(SHAPE_KINDS))
    hue = _hue(rng, world)
    style = str(rng.choice(["saturated", "pale", "dark"], p=[0.6, 0.25, 0.15]))
    if style == "saturated":
        sat, val, tone = rng.uniform(0.6, 1.0), rng.uniform(0.65, 1.0), ""
    elif style == "pale":
        sat, val, tone = rng.uniform(0.08, 0.4), rng.uniform(0.9, 1.0), "pale"
    else:
        sat, val, tone = rng.uniform(0.6, 1.0), rng.uniform(0.35, 0.6), "dark"
    color = hue_name(hue)
    if tone == "pale" and sat < 0.18:
        color, tone = "white", ""
    angle = 0.0
    if kind != "circle":
        angle = float(rng.uniform(-12, 12)) if rng.random() < 0.5 else float(rng.uniform(0, 360))
    return Shape(kind, color, _hsv(hue, float(sat), float(val)), 0.5, 0.5,
                 size if size is not None else _size(rng, world), angle, tone=tone)


def _background_rgb_at(bg_img: np.ndarray, cx: float, cy: float) -> np.ndarray:
    res = bg_img.shape[0]
    return bg_img[min(res - 1, int(cy * res)), min(res - 1, int(cx * res))]


def sample_world_scene(rng: np.random.Generator, world: str = "train", n_shapes: int | None = None,
                       margin: float = 0.02, max_tries: int = 300) -> Scene:
    """A random scene of ``world`` ("train" or "shifted") with ``n_shapes`` (default: 1–4) shapes."""
    if world not in WORLDS:
        raise ValueError(f"world must be one of {WORLDS}, got {world!r}")
    n = n_shapes if n_shapes is not None else int(rng.choice(list(SHAPE_COUNTS), p=list(SHAPE_COUNTS.values())))
    bg = sample_world_background(rng, world)
    bg_img = render_background(bg, 32)
    overlap = n > 1 and world == "train" and rng.random() < 0.15
    shapes: list[Shape] = []
    for _ in range(max_tries):
        if len(shapes) == n:
            break
        s = sample_world_shape(rng, world)
        r = s.radius * 1.15
        cx, cy = (float(v) for v in rng.uniform(r + margin, 1 - r - margin, size=2))
        gap = (lambda o: 0.55 * (r + o.radius)) if overlap else (lambda o: r + o.radius * 1.15 + margin)
        if any(math.hypot(cx - o.cx, cy - o.cy) < gap(o) for o in shapes):
            continue
        rgb = np.asarray(s.rgb)
        if np.linalg.norm(rgb - _background_rgb_at(bg_img, cx, cy)) < MIN_CONTRAST:
            continue
        if any(np.linalg.norm(rgb - np.asarray(o.rgb)) < MIN_SHAPE_DISTANCE or o.color == s.color for o in shapes):
            continue
        shapes.append(replace(s, cx=cx, cy=cy))
    return Scene(bg, shapes)
