"""Colour segmentation and a caption detector for ShapesBench images (numpy only).

ShapesBench shapes are flat, saturated colours over low-saturation smooth backgrounds, so a colour
model is enough to find them in rendered, edited or generated 64×64 images:

* :func:`segment_color` finds the pixels of an object of a known RGB. Every pixel is *unmixed*
  against the local background colour (renders blend shape and background linearly in RGB, so the
  projection onto the background→object segment recovers the anti-aliased coverage ``α``); a pixel
  is object when ``α ≥ 0.5`` and it lies within ``max_de`` CIELAB ΔE of the blend that ``α``
  predicts (``bg + α·(rgb − bg)``), and no distractor colour explains it better.
  On clean renders this reproduces the ground-truth ``alpha ≥ 0.5`` masks.
* :func:`detect` checks a caption's ``(colour, kind)`` list against an image: every pixel gets the colour
  name the scene worlds give a shape of its colour (:func:`color_names`: the nearest of the eight named hues,
  with the tone the world's captions say — saturated "blue", "pale blue", "dark blue", or "white"), each
  name's pixels are opened (drops 1-px anti-aliasing rims), split into connected blobs, and each blob's kind
  is the template (circle / square / triangle / diamond, same area and centroid, a few angles) with the best
  IoU. Background regions (large, or lying along the image border) are not blobs.
* :func:`edge_width`: mean width (px) of the shape/background transition, ~1 for clean renders,
  larger for blurry ones (the "clean edges" score).
"""

from __future__ import annotations

import colorsys
import math
import re
from dataclasses import dataclass

import numpy as np

from ..core.changes import as_unit_rgb, components, delta_e, rgb_to_lab  # noqa: F401 (re-exported)
from ..core.masks import dilate, erode
from ..core.scenes import SHAPE_HUES, SHAPE_KINDS, Shape, shape_alpha

#: Largest CIELAB ΔE between a pixel and the object/background blend its coverage predicts.
MAX_DE = 30.0
#: HSV saturation / value above which a pixel counts as shape-coloured for caption detection.
SHAPE_SAT, SHAPE_VAL = 0.5, 0.5
#: Template IoU below which a blob is not accepted as a shape of any kind.
MIN_SHAPE_IOU = 0.6
#: Smallest blob (px at 64×64, scaled with the area) taken as an object.
MIN_BLOB_PX = 10
#: Transition width (px) up to which edges count as clean (clean renders measure about 1).
CLEAN_EDGE_PX = 1.6
#: Colour names of shapes, as captions say them (core/world.py ``sample_world_shape``): each named hue
#: saturated, pale or dark, and near-white ("white"); the v1 world uses the saturated names only.
COLOR_TONES = ("", "pale", "dark")
COLOR_NAMES: tuple[str, ...] = tuple(f"{t} {h}".strip() for t in COLOR_TONES for h in SHAPE_HUES) + ("white",)
#: HSV bounds between the world's shape styles (its ranges: saturated s 0.6–1, v 0.65–1; pale s 0.08–0.4,
#: v 0.9–1, named "white" below s 0.18; dark s 0.6–1, v 0.35–0.6), halfway between neighbouring ranges.
#: Pixels outside every style (greyish or very dark: backgrounds) get no name.
TONE_SAT = 0.5  # saturated and dark ≥ TONE_SAT > pale
DARK_VAL = 0.625  # saturated ≥ DARK_VAL > dark
DARK_MIN_VAL, PALE_MIN_VAL = 0.33, 0.85  # dark ≥ DARK_MIN_VAL; pale and white ≥ PALE_MIN_VAL
WHITE_SAT = 0.18  # white < WHITE_SAT ≤ pale
#: A region whose outline lies along the image border for more than this share of it is background.
BORDER_MAX = 0.2


# ---------------------------------------------------------------------------------------------
# basics


as_float = as_unit_rgb  # the benchmark's name for it


def _box_sum(a: np.ndarray, r: int) -> np.ndarray:
    """Sum over (2r+1)² windows (edges: window clipped), for (H, W) or (H, W, C) arrays."""
    h, w = a.shape[:2]
    c = np.cumsum(np.cumsum(np.pad(a, ((1, 0), (1, 0)) + ((0, 0),) * (a.ndim - 2)), 0), 1)
    y0 = np.clip(np.arange(h) - r, 0, h)
    y1 = np.clip(np.arange(h) + r + 1, 0, h)
    x0 = np.clip(np.arange(w) - r, 0, w)
    x1 = np.clip(np.arange(w) + r + 1, 0, w)
    return (c[y1][:, x1] - c[y0][:, x1] - c[y1][:, x0] + c[y0][:, x0])


def hsv(img) -> np.ndarray:
    """(H, W, 3) HSV in [0, 1] (hue in degrees / 360)."""
    a = as_float(img)
    mx, mn = a.max(-1), a.min(-1)
    d = mx - mn
    s = np.where(mx > 0, d / np.maximum(mx, 1e-6), 0.0)
    r, g, b = a[..., 0], a[..., 1], a[..., 2]
    dd = np.maximum(d, 1e-6)
    h = np.where(mx == r, ((g - b) / dd) % 6, np.where(mx == g, (b - r) / dd + 2, (r - g) / dd + 4)) / 6.0
    return np.stack([np.where(d > 0, h, 0.0), s, mx], -1).astype(np.float32)


def shape_like(img) -> np.ndarray:
    """bool (H, W): saturated, bright pixels (ShapesBench shapes; backgrounds are far less saturated)."""
    hv = hsv(img)
    return (hv[..., 1] >= SHAPE_SAT) & (hv[..., 2] >= SHAPE_VAL)


def estimate_background(img, exclude: np.ndarray | None = None) -> np.ndarray:
    """Local background colour per pixel: box-averaged colour of the pixels that are not shape-like.

    ``exclude`` (bool) adds pixels to leave out (e.g. a known object). Windows grow until they
    contain background pixels; float32 (H, W, 3).
    """
    a = as_float(img)
    bgm = ~dilate(shape_like(a) if exclude is None else (shape_like(a) | exclude), 1)
    if not bgm.any():
        return np.broadcast_to(np.median(a.reshape(-1, 3), 0), a.shape).astype(np.float32).copy()
    out = np.zeros_like(a)
    todo = np.ones(a.shape[:2], bool)
    for r in (4, 8, 16, 32, max(a.shape[:2])):
        num = _box_sum(a * bgm[..., None], r)
        den = _box_sum(bgm.astype(np.float32), r)
        ok = todo & (den > 0.5)
        out[ok] = num[ok] / den[ok, None]
        todo &= ~ok
        if not todo.any():
            break
    return out


# ---------------------------------------------------------------------------------------------
# object segmentation


def unmix(img, rgb, background) -> tuple[np.ndarray, np.ndarray]:
    """Coverage ``α`` of colour ``rgb`` over ``background`` per pixel, and the pixel that coverage
    predicts (``bg + clip(α, 0, 1)·(rgb − bg)``, the anti-aliased blend)."""
    p = as_float(img)
    bg = np.broadcast_to(np.asarray(background, np.float32), p.shape)
    obj = np.asarray(rgb, np.float32)
    d = obj - bg
    alpha = ((p - bg) * d).sum(-1) / np.maximum((d * d).sum(-1), 1e-4)
    blend = bg + np.clip(alpha, 0.0, 1.0)[..., None] * d
    return alpha.astype(np.float32), blend.astype(np.float32)


def segment_color(img, rgb, background=None, others=(), max_de: float = MAX_DE) -> np.ndarray:
    """bool (H, W): pixels showing an object of colour ``rgb`` (see the module docstring).

    ``background``: the expected background (RGB colour or (H, W, 3) image in [0, 1] / uint8); None
    estimates it from the image. ``others``: distractor colours (other shapes) a pixel must not be
    closer to.
    """
    p = as_float(img)
    if background is None:
        background = estimate_background(p)
    elif np.asarray(background).dtype == np.uint8:
        background = as_float(background)
    lab = rgb_to_lab(p)
    alpha, blend = unmix(p, rgb, background)
    d_obj = np.linalg.norm(lab - rgb_to_lab(blend), axis=-1)
    keep = (alpha >= 0.5) & (d_obj < max_de)
    for o in others:
        a_o, blend_o = unmix(p, o, background)
        d_o = np.linalg.norm(lab - rgb_to_lab(blend_o), axis=-1)
        keep &= ~((a_o >= 0.5) & (d_o < d_obj))
    return keep


def iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = np.asarray(a, bool), np.asarray(b, bool)
    u = (a | b).sum()
    return float((a & b).sum() / u) if u else 1.0


# ---------------------------------------------------------------------------------------------
# shape classification


def _unit_area(kind: str) -> float:
    """Area (fraction² units) of a shape of ``kind`` with radius 1 (size 2)."""
    if kind == "circle":
        return math.pi
    v = np.asarray(Shape(kind, "", (0, 0, 0), 0.0, 0.0, 2.0).polygon(), float)
    return 0.5 * abs(float(np.dot(v[:, 0], np.roll(v[:, 1], -1)) - np.dot(v[:, 1], np.roll(v[:, 0], -1))))


_UNIT_AREA = {k: _unit_area(k) for k in SHAPE_KINDS}
#: Template angles (degrees) per kind: every 5° over the kind's symmetry period, as the training world rotates
#: shapes to any angle (the v1 world: ±12°).
_ANGLES = {"circle": (0.0,), "diamond": tuple(range(0, 180, 5)), "square": tuple(range(0, 90, 5)),
           "triangle": tuple(range(0, 120, 5))}


def fit_shape(mask: np.ndarray, kind: str) -> tuple[float, Shape]:
    """Best template of ``kind`` for a blob (same area and centroid, best angle): (IoU, shape)."""
    mask = np.asarray(mask, bool)
    res = mask.shape[0]
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return 0.0, Shape(kind, "", (0, 0, 0), 0.5, 0.5, 0.0)
    cx, cy = (xs.mean() + 0.5) / res, (ys.mean() + 0.5) / res
    r = math.sqrt(len(xs) / res ** 2 / _UNIT_AREA[kind])
    best = (-1.0, None)
    for ang in _ANGLES[kind]:
        s = Shape(kind, "", (0, 0, 0), float(cx), float(cy), 2 * r, float(ang))
        v = iou(shape_alpha(s, res) >= 0.5, mask)
        if v > best[0]:
            best = (v, s)
    return best


def classify_shape(mask: np.ndarray) -> tuple[str, float]:
    """(kind, IoU) of the best-fitting template for a blob."""
    fits = {k: fit_shape(mask, k)[0] for k in SHAPE_KINDS}
    k = max(fits, key=fits.get)
    return k, fits[k]


# ---------------------------------------------------------------------------------------------
# caption detection


def parse_caption(text: str) -> list[tuple[str, str]]:
    """'a red circle and a pale blue square on a …' → [('red', 'circle'), ('pale blue', 'square')]: each object's
    colour name as :data:`COLOR_NAMES` spells it (tone included), and its kind."""
    head = text.split(" on ")[0]
    found = re.findall(r"\b((?:pale |dark )?\w+) (circle|square|triangle|diamond)\b", head)
    return [(c, k) for c, k in found if c in COLOR_NAMES]


def color_names(img) -> np.ndarray:
    """(H, W) index into :data:`COLOR_NAMES` of each pixel's colour name (the nearest named hue, as the worlds
    name a shape's hue, with its tone: saturated, pale, dark, or white; see :data:`TONE_SAT` …), -1 where the
    colour is no shape's (greyish or very dark)."""
    hv = hsv(img)
    h, sat, val = hv[..., 0] * 360.0, hv[..., 1], hv[..., 2]
    hues = np.array(list(SHAPE_HUES.values()), np.float32)
    d = np.abs(h[..., None] - hues)
    hue = np.minimum(d, 360.0 - d).argmin(-1)
    n = len(SHAPE_HUES)
    tone = np.full(h.shape, -1)
    tone[(sat >= TONE_SAT) & (val >= DARK_VAL)] = 0
    tone[(sat >= WHITE_SAT) & (sat < TONE_SAT) & (val >= PALE_MIN_VAL)] = 1
    tone[(sat >= TONE_SAT) & (val >= DARK_MIN_VAL) & (val < DARK_VAL)] = 2
    out = np.where(tone >= 0, tone * n + hue, -1)
    return np.where((sat < WHITE_SAT) & (val >= PALE_MIN_VAL), len(COLOR_NAMES) - 1, out)


def _background_like(comp: np.ndarray) -> bool:
    """A region too large for an object (over half the image) or lying along the image border."""
    if comp.sum() > comp.size / 2:
        return True
    edge = np.zeros_like(comp)
    edge[0, :] = edge[-1, :] = edge[:, 0] = edge[:, -1] = True
    on_border = int((comp & edge).sum())
    outline = int((comp & ~erode(comp, 1)).sum()) + on_border  # erode() keeps pixels at the image border
    return on_border > BORDER_MAX * max(outline, 1)


@dataclass
class Blob:
    color: str
    kind: str
    fit_iou: float
    area: int
    mask: np.ndarray
    edge_px: float

    def to_dict(self) -> dict:
        return dict(color=self.color, kind=self.kind, fit_iou=round(self.fit_iou, 3), area=self.area,
                    edge_px=round(self.edge_px, 2))


def find_blobs(img, min_px: int | None = None) -> list[Blob]:
    """Every shape-coloured blob in the image with its colour name, best kind and edge width."""
    a = as_float(img)
    res = a.shape[0]
    min_px = min_px if min_px is not None else max(4, int(MIN_BLOB_PX * (res / 64) ** 2))
    names = color_names(a)
    found = []
    for i, name in enumerate(COLOR_NAMES):
        m = names == i
        if m.sum() < min_px:
            continue
        opened = dilate(erode(m, 1), 1) & m  # opening: drops 1-px anti-aliasing rims of other colours
        for comp in components(opened):
            if int(comp.sum()) < min_px:
                break
            for _ in range(2):  # geodesic reconstruction inside the colour mask restores thin tips
                comp = dilate(comp, 1) & m
            if not _background_like(comp):
                found.append((name, comp))
    objects = np.zeros(a.shape[:2], bool)
    for _, comp in found:
        objects |= comp
    bg = estimate_background(a, exclude=objects)  # pale and dark objects are not "shape-like": leave them out
    blobs = [Blob(name, *classify_shape(comp), int(comp.sum()), comp, edge_width(a, comp, bg)) for name, comp in found]
    return sorted(blobs, key=lambda b: -b.area)


def detect(img, items: list[tuple[str, str]] | str) -> dict:
    """Which requested ``(colour, kind)`` items are present in ``img`` (a caption string works too).

    Returns ``{"items": [{"color", "kind", "found", "blob": {...} | None}], "all": bool,
    "edge_px": mean edge width of the found blobs, "clean": all found edges ≤ CLEAN_EDGE_PX}``. An item is
    found when a blob of its colour fits a template with IoU ≥ ``MIN_SHAPE_IOU`` and ``kind`` is
    that blob's best kind. Each blob serves one item.
    """
    if isinstance(items, str):
        items = parse_caption(items)
    blobs = [b for b in find_blobs(img) if b.fit_iou >= MIN_SHAPE_IOU]
    used: set[int] = set()
    out = []
    for color, kind in items:
        hit = None
        for j, b in enumerate(blobs):
            if j not in used and b.color == color and b.kind == kind:
                hit = j
                break
        if hit is not None:
            used.add(hit)
        out.append(dict(color=color, kind=kind, found=hit is not None,
                        blob=None if hit is None else blobs[hit].to_dict()))
    edges = [blobs[j].edge_px for j in used]
    return dict(items=out, all=all(o["found"] for o in out), edge_px=float(np.mean(edges)) if edges else float("nan"),
                clean=bool(edges) and all(e <= CLEAN_EDGE_PX for e in edges), n_blobs=len(blobs))


# ---------------------------------------------------------------------------------------------
# edge sharpness


def edge_width(img, mask: np.ndarray, background=None) -> float:
    """Mean shape/background transition width in px around ``mask`` (≈1 for a clean anti-aliased edge).

    The object colour is the median inside the eroded mask, the background the local estimate;
    pixels in a ±2 px band around the boundary whose unmixed coverage lies in (0.15, 0.85) count as
    transition, divided by the boundary length in px.
    """
    a = as_float(img)
    mask = np.asarray(mask, bool)
    inner = erode(mask, 1)
    obj = np.median(a[inner if inner.sum() >= 4 else mask], 0)
    bg = estimate_background(a, exclude=mask) if background is None else np.broadcast_to(as_float(background)
                                                                                           if np.asarray(background).dtype == np.uint8
                                                                                           else np.asarray(background, np.float32), a.shape)
    alpha, _ = unmix(a, obj, bg)
    band = dilate(mask, 2) & ~erode(mask, 2)
    mixed = band & (alpha > 0.15) & (alpha < 0.85)
    boundary = mask & ~erode(mask, 1)
    return float(mixed.sum() / max(int(boundary.sum()), 1))


#: (saturation, value) of a typical shape of each tone (the middle of the world's ranges).
_TONE_SV = {"": (0.9, 0.92), "pale": (0.25, 0.95), "dark": (0.8, 0.48)}


def hue_rgb(color: str) -> tuple[float, float, float]:
    """A typical RGB for a shape colour name of :data:`COLOR_NAMES` ("blue", "pale blue", "dark blue", "white")."""
    if color not in COLOR_NAMES:
        raise ValueError(f"color must be one of {COLOR_NAMES}, got {color!r}")
    if color == "white":
        return tuple(float(c) for c in colorsys.hsv_to_rgb(0.0, 0.1, 0.96))
    tone, _, hue = color.rpartition(" ")
    return tuple(float(c) for c in colorsys.hsv_to_rgb(SHAPE_HUES[hue] / 360.0, *_TONE_SV[tone]))
