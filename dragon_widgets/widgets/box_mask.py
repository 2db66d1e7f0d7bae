"""Box → object mask without downloaded weights (colour models, GrabCut-style), plus a SAM hook.

:func:`box_to_mask` separates the object inside a box from its surroundings with two small colour
models: background colours sampled on a ring just outside the box, foreground colours from the box
centre, refined for a few rounds; the component(s) touching the box centre are kept and holes filled.
It works well on flat-coloured scenes (the embedded model's world) and reasonably on photos with a
distinct object; for hard photos use :func:`sam_box_masker` with your own SAM weights.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

_MAX_SIDE = 192  # segment on a grid at most this large, then scale the mask back up
_MIN_CONTRAST = 12.0  # RGB distance below which the box centre counts as background-coloured
_WHOLE_BOX = 0.98  # a mask covering this share of its box is "the whole box"
_CONTINUES = 24.0  # RGB distance below which the pixel just outside the box continues the masked one inside
_CLIP_SHARE = 0.15  # the object continues across a box side along at least this share of the side ...
_CLIP_MIN_PX = 3  # ... and at least this many pixels: "the object extends beyond the box"


def _kmeans(x: np.ndarray, k: int, iters: int = 8, seed: int = 0) -> np.ndarray:
    """Tiny k-means (rows of x), returns up to k centres."""
    if len(x) == 0:
        return np.zeros((0, x.shape[1]), np.float32)
    rng = np.random.default_rng(seed)
    k = min(k, len(x))
    c = x[rng.choice(len(x), size=k, replace=False)].copy()
    for _ in range(iters):
        lab = ((x[:, None, :] - c[None]) ** 2).sum(-1).argmin(1)
        for j in range(k):
            sel = x[lab == j]
            if len(sel):
                c[j] = sel.mean(0)
    return c


def _min_dist(x: np.ndarray, c: np.ndarray) -> np.ndarray:
    if len(c) == 0:
        return np.full(len(x), np.inf, np.float32)
    return np.sqrt(((x[:, None, :] - c[None]) ** 2).sum(-1)).min(1)


def _grow(seed: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """Flood-fill ``seed`` within ``allowed`` (4-connected) by repeated dilation."""
    cur = seed & allowed
    while True:
        nxt = cur.copy()
        nxt[1:] |= cur[:-1]
        nxt[:-1] |= cur[1:]
        nxt[:, 1:] |= cur[:, :-1]
        nxt[:, :-1] |= cur[:, 1:]
        nxt &= allowed
        if np.array_equal(nxt, cur):
            return cur
        cur = nxt


def _sample(arr: np.ndarray, mask: np.ndarray, n: int = 600, seed: int = 0) -> np.ndarray:
    x = arr[mask]
    if len(x) > n:
        x = x[np.random.default_rng(seed).choice(len(x), n, replace=False)]
    return x


def box_to_mask(image: Any, box: Sequence[float], *, rounds: int = 3) -> np.ndarray:
    """Mask (bool, image size) of the object inside ``box = (x0, y0, x1, y1)`` (pixels).

    ``image`` is a uint8 (H, W, 3) array or PIL image. Returns the filled box when the colours
    inside cannot be told apart from the surroundings. Needs no weights.
    """
    from ._imaging import to_rgb_array

    img = to_rgb_array(image, "image")
    H, W = img.shape[:2]
    if len(box) != 4:
        raise ValueError(f"box must be (x0, y0, x1, y1), got {box!r}")
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    bx0, by0 = max(0, int(np.floor(x0))), max(0, int(np.floor(y0)))
    bx1, by1 = min(W, int(np.ceil(x1))), min(H, int(np.ceil(y1)))
    out = np.zeros((H, W), bool)
    if bx1 - bx0 < 2 or by1 - by0 < 2:
        out[by0:by1, bx0:bx1] = True
        return out

    # Work on a crop with a margin, downscaled if large.
    bw, bh = bx1 - bx0, by1 - by0
    m = max(2, int(round(0.15 * max(bw, bh))))
    cx0, cy0, cx1, cy1 = max(0, bx0 - m), max(0, by0 - m), min(W, bx1 + m), min(H, by1 + m)
    crop = img[cy0:cy1, cx0:cx1].astype(np.float32)
    step = max(1, int(np.ceil(max(crop.shape[:2]) / _MAX_SIDE)))
    small = crop[::step, ::step]
    h, w = small.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    xs, ys = xx * step + cx0, yy * step + cy0
    inside = (xs >= bx0) & (xs < bx1) & (ys >= by0) & (ys < by1)
    ring = ~inside
    if ring.sum() < 8:  # box covers the whole image: use the box's own border as background
        border = max(1, min(h, w) // 12)
        ring = np.zeros_like(inside)
        ring[:border], ring[-border:], ring[:, :border], ring[:, -border:] = True, True, True, True
        inside = inside & ~ring
    cxm, cym, = (bx0 + bx1) / 2, (by0 + by1) / 2
    core = inside & (np.abs(xs - cxm) <= bw / 4) & (np.abs(ys - cym) <= bh / 4)
    if not core.any():
        core = inside.copy()

    bg_c = _kmeans(_sample(small, ring), 5)
    if np.median(_min_dist(small[core], bg_c)) < _MIN_CONTRAST:  # the object looks like its surroundings
        out[by0:by1, bx0:bx1] = True
        return out
    fg = core.copy()
    for r in range(rounds):
        fg_c = _kmeans(_sample(small, fg, seed=r), 4, seed=r)
        d_fg = _min_dist(small.reshape(-1, 3), fg_c).reshape(h, w)
        d_bg = _min_dist(small.reshape(-1, 3), bg_c).reshape(h, w)
        new = inside & (d_fg < d_bg)
        if not new.any():
            fg = new
            break
        # keep what connects to the core, then fill holes (background not reachable from outside)
        new = _grow(new & core, new) if (new & core).any() else new
        outside = _grow(~inside | ring, ~new)
        new = ~outside & inside
        if np.array_equal(new, fg):
            break
        fg = new
    if not fg.any() or fg.sum() >= 0.98 * inside.sum():
        out[by0:by1, bx0:bx1] = True
        return out

    # Back to full resolution (nearest), clipped to the box.
    up = np.repeat(np.repeat(fg, step, 0), step, 1)[: cy1 - cy0, : cx1 - cx0]
    out[cy0:cy1, cx0:cx1] = up
    clip = np.zeros_like(out)
    clip[by0:by1, bx0:bx1] = True
    return out & clip


def _box_pixels(box: Sequence[float], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) integer pixel bounds of ``box`` inside an image of ``size`` (W, H), as box_to_mask uses."""
    if len(box) != 4:
        raise ValueError(f"box must be (x0, y0, x1, y1), got {box!r}")
    x0, y0, x1, y1 = (float(v) for v in box)
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    W, H = size
    return max(0, int(np.floor(x0))), max(0, int(np.floor(y0))), min(W, int(np.ceil(x1))), min(H, int(np.ceil(y1)))


def _object_colours(img: np.ndarray, mask: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """A few colours of the masked object: k-means of the mask's pixels in the box's central quarter (all of the
    mask's pixels in the box when the centre holds none)."""
    x0, y0, x1, y1 = box
    qx, qy = min((x1 - x0) * 3 // 8, (x1 - x0 - 1) // 2), min((y1 - y0) * 3 // 8, (y1 - y0 - 1) // 2)
    core = np.zeros_like(mask)
    core[y0 + qy:y1 - qy, x0 + qx:x1 - qx] = True
    sel = mask & core
    if not sel.any():
        sel = mask.copy()
        sel[:y0], sel[y1:], sel[:, :x0], sel[:, x1:] = False, False, False, False
    return _kmeans(_sample(img, sel), 3)


def _box_edges(box: tuple[int, int, int, int], size: tuple[int, int]) -> dict:
    """side → (inside pixels, outside pixels) as index arrays, for the box sides not on the image border."""
    x0, y0, x1, y1 = box
    W, H = size
    rows, cols = np.arange(y0, y1), np.arange(x0, x1)
    edges = {}
    if x0 > 0:
        edges["left"] = ((rows, np.full_like(rows, x0)), (rows, np.full_like(rows, x0 - 1)))
    if x1 < W:
        edges["right"] = ((rows, np.full_like(rows, x1 - 1)), (rows, np.full_like(rows, x1)))
    if y0 > 0:
        edges["top"] = ((np.full_like(cols, y0), cols), (np.full_like(cols, y0 - 1), cols))
    if y1 < H:
        edges["bottom"] = ((np.full_like(cols, y1 - 1), cols), (np.full_like(cols, y1), cols))
    return edges


def clipped_sides(image: Any, mask: Any, box: Sequence[float]) -> dict[str, int]:
    """Sides of ``box`` across which the masked object continues: {side: pixels along that side}.

    A side counts when, along at least ``_CLIP_SHARE`` of its length (and ``_CLIP_MIN_PX`` pixels), the mask
    touches the box edge with the object's colours (those of the mask at the box centre) *and* the pixel just
    outside continues that colour: the object goes on. A box drawn tightly around an object has background just
    outside; a whole-box mask on a plain background has background along its edges. Sides on the image border
    never count.
    """
    from ._imaging import to_rgb_array

    img = to_rgb_array(image, "image").astype(np.float32)
    m = np.asarray(mask, dtype=bool)
    H, W = img.shape[:2]
    if m.shape != (H, W):
        raise ValueError(f"mask must have the image's shape {(H, W)}, got {m.shape}")
    x0, y0, x1, y1 = _box_pixels(box, (W, H))
    if x1 - x0 < 2 or y1 - y0 < 2 or not m[y0:y1, x0:x1].any():
        return {}
    colours = _object_colours(img, m, (x0, y0, x1, y1))
    edges = _box_edges((x0, y0, x1, y1), (W, H))
    out = {}
    for side, (inner, outer) in edges.items():
        a, b = img[inner], img[outer]
        goes_on = (np.sqrt(((a - b) ** 2).sum(-1)) < _CONTINUES) & (_min_dist(a, colours) < _CONTINUES)
        n = int((m[inner] & goes_on).sum())
        if n >= max(_CLIP_MIN_PX, _CLIP_SHARE * len(inner[0])):
            out[side] = n
    return out


def box_mask_note(image: Any, mask: Any, box: Sequence[float]) -> str | None:
    """A plain-words warning when the mask a box gave is doubtful, else None: the object extends beyond the box
    (:func:`clipped_sides`), or the mask is the whole box with no edge along the box (the object could not be
    told from its surroundings; an object that exactly fills its box is fine)."""
    from ._imaging import to_rgb_array

    img = to_rgb_array(image, "image").astype(np.float32)
    m = np.asarray(mask, dtype=bool)
    x0, y0, x1, y1 = _box_pixels(box, (m.shape[1], m.shape[0]))
    inside = m[y0:y1, x0:x1]
    whole = bool(inside.size) and inside.mean() >= _WHOLE_BOX
    edges = _box_edges((x0, y0, x1, y1), (m.shape[1], m.shape[0]))
    if whole:  # an object that exactly fills its box has an edge (a colour step) all along the box
        steps = [np.sqrt(((img[a] - img[b]) ** 2).sum(-1)) >= _CONTINUES for a, b in edges.values()]
        whole = not steps or float(np.concatenate(steps).mean()) < _WHOLE_BOX
    sides = clipped_sides(image, m, box)
    if sides and not (whole and len(sides) == len(edges)):  # everywhere alike: nothing to tell apart
        names = ", ".join(sides)
        what = "the mask is just the whole box" if whole else "its mask is cut there"
        return (f"Box → mask: the object seems to continue beyond the box's {names} edge (up to "
                f"{max(sides.values())} px along it), so {what}. Draw a larger box around the whole object, or "
                f"paint it with the brush.")
    if whole:
        return ("Box → mask kept the whole box: the object could not be told apart from its surroundings. If that "
                "is not the object's shape, paint it with the brush or erase the extra.")
    return None


def sam_box_masker(model: str | Any, processor: Any = None, device: str = "cpu") -> Callable[..., np.ndarray]:
    """A box masker backed by Segment Anything through ``transformers`` (your own weights).

    ``model`` is a local folder / hub id of a SAM checkpoint (``transformers.SamModel``) or an already
    loaded ``SamModel``; ``processor`` defaults to ``SamProcessor`` from the same place. Pass the
    result as ``DragCanvas(..., box_to_mask=sam_box_masker("path/to/sam"))``.
    """
    import torch
    from transformers import SamModel, SamProcessor

    if isinstance(model, str):
        processor = processor or SamProcessor.from_pretrained(model)
        model = SamModel.from_pretrained(model)
    if processor is None:
        raise ValueError("processor is required when model is an already loaded SamModel")
    model = model.to(device).eval()

    def masker(image: np.ndarray, box: Sequence[float]) -> np.ndarray:
        from PIL import Image

        pil = Image.fromarray(np.asarray(image, np.uint8))
        inputs = processor(pil, input_boxes=[[[float(v) for v in box]]], return_tensors="pt").to(device)
        with torch.no_grad():
            out = model(**inputs, multimask_output=False)
        masks = processor.image_processor.post_process_masks(
            out.pred_masks.cpu(), inputs["original_sizes"].cpu(), inputs["reshaped_input_sizes"].cpu()
        )
        return np.asarray(masks[0][0, 0], dtype=bool)

    return masker
