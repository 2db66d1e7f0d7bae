"""DragBench's folder layout: read samples, write samples, and export ShapesBench drags in it.

DragBench (DragDiffusion's benchmark, 205 images and 349 point pairs) is laid out as::

    <root>/<category>/<sample>/original_image.png
    <root>/<category>/<sample>/meta_data.pkl     # {"prompt": str, "points": [(x, y), ...], "mask": (H, W) array}

``points`` alternate handle, target, handle, target … in (x, y) pixels of the original image; ``mask`` marks the
editable region (1 = editable; 0/1 or 0/255; all zeros when none was drawn). Results go into the same layout,
``<results>/<category>/<sample>/dragged_image.png``, which the official evaluation scripts read.

``meta_data.pkl`` is untrusted: it is read by :func:`~dragon_widgets.bench.safe_pickle.load_plain_pickle`, which
accepts plain data and numpy arrays only and never runs what a pickle names.

:func:`export_shapesbench` writes ShapesBench drag tasks in this layout, with their ground truth beside them
(``target_image.png``, ``task.json``), so that the whole DragBench tool chain can be checked on edits whose right
answer is known.
"""

from __future__ import annotations

import json
import os
import pickle
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from .safe_pickle import load_plain_pickle

IMAGE_NAME = "original_image.png"
META_NAME = "meta_data.pkl"
RESULT_NAME = "dragged_image.png"
#: Files that :func:`export_shapesbench` adds beside a sample (the ground truth).
TARGET_NAME = "target_image.png"
TASK_NAME = "task.json"
#: Category and sample names: letters, digits and ``. _ - + ( )`` and spaces (they become folder names).
NAME_PATTERN = re.compile(r"^(?!\.{1,2}$)[\w.\-+() ]{1,200}$")


def check_name(name: str, what: str) -> str:
    """``name`` if it can be a category or sample folder name, else a ``ValueError`` naming ``what``."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name):
        raise ValueError(f"{what} must be 1-200 letters, digits, spaces or . _ - + ( ) (a folder name), got {name!r}"
                         [:300])
    return name


@dataclass
class DragSample:
    """One DragBench sample: ``points`` are (handle, target) pairs of (x, y) pixels; ``mask`` is the bool editable
    region (None when none was drawn)."""

    category: str
    name: str
    folder: Path
    prompt: str
    points: list[tuple[tuple[float, float], tuple[float, float]]]
    mask: np.ndarray | None
    size: tuple[int, int]  # (W, H) of original_image.png

    @property
    def id(self) -> str:
        return f"{self.category}/{self.name}"

    def image(self) -> np.ndarray:
        """The original image as uint8 (H, W, 3)."""
        from ..core.images import open_image

        return open_image(self.folder / IMAGE_NAME, f"{self.folder / IMAGE_NAME}")


def list_samples(root: str | os.PathLike) -> list[tuple[str, str, Path]]:
    """``(category, sample, folder)`` of every ``<root>/<category>/<sample>/`` holding ``original_image.png`` and
    ``meta_data.pkl``, sorted by category then sample. ``ValueError`` when there is none."""
    root = Path(root)
    if not root.is_dir():
        raise ValueError(f"DragBench root {str(root)!r} is not a folder")
    out = []
    for cat in sorted(p for p in root.iterdir() if p.is_dir()):
        for sample in sorted(p for p in cat.iterdir() if p.is_dir()):
            if (sample / IMAGE_NAME).is_file() and (sample / META_NAME).is_file():
                out.append((cat.name, sample.name, sample))
    if not out:
        raise ValueError(f"no DragBench samples under {str(root)!r}: expected <category>/<sample>/{IMAGE_NAME} "
                         f"and {META_NAME}")
    return out


def is_dragbench_root(root: str | os.PathLike) -> bool:
    """Whether ``root`` holds at least one ``<category>/<sample>/meta_data.pkl``."""
    root = Path(root)
    return root.is_dir() and any(root.glob(f"*/*/{META_NAME}"))


def _number(v: Any, where: str) -> float:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
        raise ValueError(f"{where} must be a number, got {type(v).__name__}")
    f = float(v)
    if not np.isfinite(f):
        raise ValueError(f"{where} must be finite, got {f}")
    return f


def parse_meta(meta: Any, label: str, size: tuple[int, int]) -> tuple[str, list, np.ndarray | None]:
    """``(prompt, points, mask)`` from a loaded ``meta_data.pkl`` dict, checked against an image of ``size``
    (W, H). Every problem is a ``ValueError`` naming ``label`` and the key."""
    from ..core.images import to_mask

    if not isinstance(meta, dict):
        raise ValueError(f"{label} must hold a dict with 'prompt', 'points' and 'mask', got {type(meta).__name__}")
    missing = [k for k in ("prompt", "points") if k not in meta]
    if missing:
        raise ValueError(f"{label} is missing the key {missing[0]!r} (it has {sorted(map(str, meta))})"[:300])
    prompt = meta["prompt"]
    if not isinstance(prompt, str):
        raise ValueError(f"{label}: 'prompt' must be a string, got {type(prompt).__name__}")
    raw = meta["points"]
    if isinstance(raw, np.ndarray):
        raw = raw.tolist()
    if not isinstance(raw, (list, tuple)) or len(raw) < 2 or len(raw) % 2:
        raise ValueError(f"{label}: 'points' must be a list of (x, y) alternating handle and target, an even number "
                         f"of at least 2, got {len(raw) if isinstance(raw, (list, tuple)) else type(raw).__name__}")
    w, h = size
    pts = []
    for k, p in enumerate(raw):
        if isinstance(p, np.ndarray):
            p = p.tolist()
        if not isinstance(p, (list, tuple)) or len(p) != 2:
            raise ValueError(f"{label}: points[{k}] must be an (x, y) pair, got {p!r}"[:300])
        x, y = _number(p[0], f"{label}: points[{k}] x"), _number(p[1], f"{label}: points[{k}] y")
        if not (0 <= x < w and 0 <= y < h):
            raise ValueError(f"{label}: points[{k}] = ({x:g}, {y:g}) lies outside the {w}×{h} image")
        pts.append((x, y))
    pairs = [(pts[i], pts[i + 1]) for i in range(0, len(pts), 2)]
    mask = meta.get("mask")
    if mask is not None:
        if not isinstance(mask, np.ndarray):
            mask = np.asarray(mask)
            if mask.dtype.kind not in "biuf":
                raise ValueError(f"{label}: 'mask' must be a numeric (H, W) array")
        if mask.ndim == 3 and mask.shape[2] in (1, 3, 4):
            mask = mask.max(axis=2)
        if mask.ndim != 2 or mask.shape != (h, w):
            raise ValueError(f"{label}: 'mask' must be an (H, W) = ({h}, {w}) array like the image, got shape "
                             f"{mask.shape}")
        m = to_mask(np.nan_to_num(mask.astype(np.float32)), size, f"{label}: mask", allow_empty=True, allow_full=True)
        mask = m if m.any() else None
    return prompt, pairs, mask


def read_sample(folder: str | os.PathLike, category: str | None = None, name: str | None = None) -> DragSample:
    """The sample in ``folder`` (``original_image.png`` + ``meta_data.pkl``), checked; a hostile or malformed
    pickle is a ``ValueError`` naming the file."""
    from PIL import Image

    folder = Path(folder)
    image = folder / IMAGE_NAME
    try:
        with Image.open(image) as im:
            size = im.size
    except FileNotFoundError:
        raise
    except OSError as err:
        raise ValueError(f"{image} is not a readable image ({err})") from None
    meta_path = folder / META_NAME
    prompt, points, mask = parse_meta(load_plain_pickle(meta_path), str(meta_path), size)
    return DragSample(category=category or folder.parent.name, name=name or folder.name, folder=folder,
                      prompt=prompt, points=points, mask=mask, size=size)


def write_sample(folder: str | os.PathLike, image: np.ndarray, prompt: str, points: Sequence, mask: Any = None) -> Path:
    """Write one sample in DragBench's layout: ``image`` (uint8 (H, W, 3)) as ``original_image.png`` and
    ``meta_data.pkl`` with ``prompt``, the (handle, target) ``points`` flattened to alternating integer (x, y) and
    ``mask`` (bool (H, W), or None) as a uint8 0/1 array (all zeros when None)."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    img = np.asarray(image)
    if img.dtype != np.uint8 or img.ndim != 3 or img.shape[2] != 3:
        raise ValueError(f"image must be uint8 (H, W, 3), got {img.dtype} {img.shape}")
    h, w = img.shape[:2]
    flat: list[tuple[int, int]] = []
    for handle, target in points:
        for x, y in (handle, target):
            xi, yi = int(round(float(x))), int(round(float(y)))
            if not (0 <= xi < w and 0 <= yi < h):
                raise ValueError(f"point ({x}, {y}) lies outside the {w}×{h} image")
            flat.append((xi, yi))
    if not flat:
        raise ValueError("points must hold at least one (handle, target) pair")
    m = np.zeros((h, w), np.uint8) if mask is None else (np.asarray(mask) > 0).astype(np.uint8)
    if m.shape != (h, w):
        raise ValueError(f"mask must have the image's shape (H, W) = ({h}, {w}), got {m.shape}")
    Image.fromarray(img).save(folder / IMAGE_NAME)
    with open(folder / META_NAME, "wb") as f:
        pickle.dump({"prompt": str(prompt), "points": flat, "mask": m}, f, protocol=4)
    return folder


def export_shapesbench(out: str | os.PathLike, split: str = "test", n: int = 10,
                       kinds: Sequence[str] = ("drag", "drag-far"), prompt: str = "caption",
                       drag_region: str = "object") -> list[Path]:
    """Write ``n`` ShapesBench drag tasks per kind of ``split`` in DragBench's layout under ``out``:
    category ``shapes_<kind>``, sample = the task id. Each sample gets the task's input image, its handle → target
    points (rounded to whole pixels), the editable region a drag task hands to the editor (``drag_region``: see
    :func:`~dragon_widgets.bench.runner.drag_region_mask`), and ``prompt``: ``"caption"`` (the scene's caption, as
    DragBench's prompts describe their images) or ``"empty"``. The ground truth goes beside it:
    ``target_image.png`` (at the input's size) and ``task.json`` (the task, :meth:`Task.to_dict`)."""
    from PIL import Image

    from .runner import drag_region_mask
    from .scenes import caption
    from .tasks import DRAG_KINDS, make_tasks

    bad = [k for k in kinds if k not in DRAG_KINDS]
    if bad or not kinds:
        raise ValueError(f"kinds must be drag kinds from {DRAG_KINDS}, got {list(kinds)}")
    if prompt not in ("caption", "empty"):
        raise ValueError(f"prompt must be 'caption' or 'empty', got {prompt!r}")
    if int(n) < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    out = Path(out)
    folders = []
    for task in make_tasks(split, int(n), tuple(kinds)):
        k = task.in_res // task.res
        region = drag_region_mask(task, drag_region)
        if k != 1:
            region = np.repeat(np.repeat(region, k, 0), k, 1)
        points = [(task.to_input(*a), task.to_input(*b)) for a, b in task.points]
        folder = write_sample(out / f"shapes_{task.kind}" / task.id, task.input_image,
                              caption(task.scene) if prompt == "caption" else "", points, region)
        target = Image.fromarray(task.target_image)
        if target.size != (task.in_res, task.in_res):
            target = target.resize((task.in_res, task.in_res), Image.NEAREST)
        target.save(folder / TARGET_NAME)
        (folder / TASK_NAME).write_text(json.dumps(task.to_dict()))
        folders.append(folder)
    return folders
