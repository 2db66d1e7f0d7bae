"""DragBench's two figures, computed as the field computes them (DragDiffusion's evaluation), on any results in
DragBench's layout.

**Mean Distance (MD)**, in pixels of the original image: for every sample (sorted by category, then sample) the
edited image (``dragged_image.png``, resized bilinearly to the original's size if it differs) and the original
are described by DIFT features (:func:`.dift.dift_features`: Stable Diffusion 2.1 by default, timestep 261, the
output of decoder block ``up_blocks.1``, the mean over 8 noised copies with the sample's prompt), each upsampled
bilinearly to the image size. For every handle, its feature in the original (at the handle pixel) is matched by
cosine similarity against every pixel of the edited image; MD is the pixel distance between the best match and
the target, averaged over all points of all samples. The noise is seeded (``seed``; each image gets its own
draws, from the seed and the sample's place in the sorted order), so a rerun gives the same figure.

**Image Fidelity (IF)** = 1 − LPIPS (AlexNet, v0.1) between the original and the edited image, both resized
bilinearly to 224², averaged over images. ``null`` with a note when the LPIPS weights are not on this machine
(see :mod:`.lpips`).

**CLIP similarity** (optional): cosine of the two images' CLIP image embeddings, averaged over images.

Samples without a result are listed under ``missing`` and left out of the means; a sample whose files cannot be
read is listed under ``errors`` with a one-line reason.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..bench.dragbench import RESULT_NAME, list_samples, read_sample

DEFAULT_DIFT_MODEL = "stabilityai/stable-diffusion-2-1"


@dataclass
class EvalSettings:
    """The evaluator's choices (every one is written into the report)."""

    dift_model: str = DEFAULT_DIFT_MODEL  # a hub id, a local diffusers folder, or "embedded"
    dift_t: int = 261
    dift_layer: str = "up_blocks.1"
    dift_ensemble: int = 8
    seed: int = 0
    device: str | None = None  # default: cuda when available
    lpips: bool = True
    lpips_weights: str | None = None  # folder with alexnet-owt-7be5be79.pth and alex.pth (see .lpips)
    clip: bool = False
    clip_model: str = "openai/clip-vit-base-patch32"

    def to_dict(self) -> dict:
        return asdict(self)


# ----------------------------------------------------------------------------------------------- pure steps
def upsample(features: Any, size: tuple[int, int], device: Any = None) -> Any:
    """(C, h, w) → (C, H, W) by bilinear interpolation (``size`` = (W, H))."""
    import torch.nn.functional as F

    f = features if device is None else features.to(device)
    return F.interpolate(f[None].float(), size=(size[1], size[0]), mode="bilinear", align_corners=False)[0]


def match_handles(source: Any, edited: Any, handles: list) -> list[tuple[int, int]]:
    """For each handle (x, y) (rounded to its pixel), the (x, y) pixel of ``edited`` (C, H, W) whose feature is
    the most cosine-similar to ``source`` (C, H, W) at the handle."""
    import torch.nn.functional as F

    c, h, w = edited.shape
    dst = F.normalize(edited.reshape(c, -1), dim=0)
    out = []
    for x, y in handles:
        col = min(w - 1, max(0, int(round(float(x)))))
        row = min(h - 1, max(0, int(round(float(y)))))
        vec = F.normalize(source[:, row, col], dim=0)
        best = int((vec @ dst).argmax())
        out.append((best % w, best // w))
    return out


def point_distances(pairs: list, found: list) -> list[float]:
    """Pixel distance from each found handle to its target."""
    return [math.hypot(float(t[0]) - f[0], float(t[1]) - f[1]) for (_h, t), f in zip(pairs, found)]


def _mean(values: list) -> float | None:
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return sum(vals) / len(vals) if vals else None


def _resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    from PIL import Image

    if (image.shape[1], image.shape[0]) == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize(tuple(size), Image.BILINEAR))


# ----------------------------------------------------------------------------------------------- models
def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def load_dift_pipeline(model: str, device: str) -> Any:
    """The DIFT feature model through ``dw.load_pipeline`` (``embedded``, a hub id or a folder). Offline, a model
    that is not on the machine is a :class:`~dragon_widgets.engine.pipeline.ModelNotAvailableError` saying what
    to download."""
    from ..engine.pipeline import load_pipeline

    return load_pipeline(None if model == "embedded" else model, device=device)


def _image_fidelity_model(s: EvalSettings, device: str, notes: list[str]) -> Any:
    if not s.lpips:
        notes.append("image_fidelity: not computed (--no-lpips)")
        return None
    from .lpips import LPIPSWeightsMissing, load_lpips

    try:
        return load_lpips(s.lpips_weights, device)
    except LPIPSWeightsMissing as err:
        notes.append(f"image_fidelity is null: {err}")
        return None


def _clip_model(s: EvalSettings, device: str, notes: list[str]) -> Any:
    if not s.clip:
        return None
    from .clip_sim import ClipSimilarity

    try:
        return ClipSimilarity(s.clip_model, device)
    except ValueError as err:
        notes.append(f"clip_similarity is null: {err}")
        return None


# ----------------------------------------------------------------------------------------------- the evaluator
def evaluate(data: str | Path, results: str | Path, settings: EvalSettings | None = None, *, dift_pipe: Any = None,
             lpips_net: Any = None, clip: Any = None, progress: Any = None) -> dict:
    """The report (a JSON-ready dict) of ``results`` against the DragBench root ``data`` (see the module
    docstring). ``dift_pipe`` / ``lpips_net`` / ``clip``: already loaded models (else loaded from ``settings``)."""
    import torch

    from .lpips import to_input

    s = settings or EvalSettings()
    if not 0 <= int(s.dift_t) < 1000:
        raise ValueError(f"dift_t must be a timestep in [0, 1000), got {s.dift_t}")
    if not 1 <= int(s.dift_ensemble) <= 1000:
        raise ValueError(f"dift_ensemble must be in [1, 1000], got {s.dift_ensemble}")
    samples = list_samples(data)
    results = Path(results)
    if not results.is_dir():
        raise ValueError(f"RESULTS {str(results)!r} is not a folder")
    device = s.device or default_device()
    notes: list[str] = []
    t0 = time.perf_counter()
    pipe = dift_pipe if dift_pipe is not None else load_dift_pipeline(s.dift_model, device)
    lp = lpips_net if lpips_net is not None else _image_fidelity_model(s, device, notes)
    cl = clip if clip is not None else _clip_model(s, device, notes)
    feat_device = pipe.unet.device
    from .dift import dift_features

    rows, missing, errors = [], [], []
    E = int(s.dift_ensemble)
    for index, (category, name, folder) in enumerate(samples):
        sid = f"{category}/{name}"
        result_path = results / category / name / RESULT_NAME
        if not result_path.is_file():
            missing.append(sid)
            continue
        try:
            from ..core.images import open_image

            sample = read_sample(folder, category, name)
            before = sample.image()
            after = _resized(open_image(result_path, str(result_path)), sample.size)
        except (OSError, ValueError) as err:
            errors.append({"id": sid, "error": f"{type(err).__name__}: {str(err).splitlines()[0]}"[:400]})
            continue
        base = int(s.seed) * 1_000_003 + 2 * index * E  # each image its own draws: original, then edited
        fa = upsample(dift_features(pipe, before, sample.prompt, s.dift_t, s.dift_layer, E, base), sample.size,
                      feat_device)
        fb = upsample(dift_features(pipe, after, sample.prompt, s.dift_t, s.dift_layer, E, base + E), sample.size,
                      feat_device)
        found = match_handles(fa, fb, [h for h, _t in sample.points])
        del fa, fb
        dists = point_distances(sample.points, found)
        row: dict = {"id": sid, "category": category, "sample": name, "prompt": sample.prompt,
                     "size": list(sample.size),
                     "points": [{"handle": list(h), "target": list(t), "found": list(f), "distance": d}
                                for (h, t), f, d in zip(sample.points, found, dists)],
                     "mean_distance": _mean(dists), "lpips": None, "image_fidelity": None}
        if lp is not None:
            with torch.no_grad():
                dev = next(lp.parameters()).device
                d = float(lp(to_input(before, dev), to_input(after, dev)).item())
            row.update(lpips=d, image_fidelity=1.0 - d)
        if cl is not None:
            row["clip_similarity"] = cl(before, after)
        rows.append(row)
        if progress is not None:
            progress(f"{sid}: MD {row['mean_distance']:.2f}"
                     + (f", IF {row['image_fidelity']:.3f}" if row["image_fidelity"] is not None else ""))
    all_dists = [p["distance"] for r in rows for p in r["points"]]
    report: dict = {
        "mean_distance": _mean(all_dists),
        "image_fidelity": _mean([r["image_fidelity"] for r in rows]) if lp is not None and rows else None,
        "lpips": _mean([r["lpips"] for r in rows]) if lp is not None and rows else None,
    }
    if s.clip:
        report["clip_similarity"] = _mean([r.get("clip_similarity") for r in rows]) if cl is not None else None
    cats: dict[str, dict] = {}
    for r in rows:
        cats.setdefault(r["category"], []).append(r)
    report.update({
        "n_samples": len(rows), "n_points": len(all_dists), "missing": missing, "errors": errors,
        "categories": {c: {"n_samples": len(rs), "mean_distance": _mean([p["distance"] for r in rs for p in r["points"]]),
                           "image_fidelity": _mean([r["image_fidelity"] for r in rs]) if lp is not None else None}
                       for c, rs in cats.items()},
        "settings": {**s.to_dict(), "device": str(feat_device),
                     "dift_model_loaded": getattr(pipe.config, "_name_or_path", "") or s.dift_model},
        "notes": notes, "seconds": time.perf_counter() - t0, "samples": rows,
    })
    if not rows:
        report["notes"].append("no sample had a readable result: nothing was measured")
    from .results import json_ready

    return json_ready(report)


def format_report(report: dict) -> str:
    """A short table: one line per category and the overall figures."""
    def f(v: Any, fmt: str) -> str:
        return "–" if v is None else fmt.format(v)

    lines = [f"{'category':24s} {'samples':>7s} {'MD (px)':>8s} {'IF':>6s}"]
    for c, d in report["categories"].items():
        lines.append(f"{c:24s} {d['n_samples']:7d} {f(d['mean_distance'], '{:8.2f}'):>8s} "
                     f"{f(d['image_fidelity'], '{:6.3f}'):>6s}")
    lines.append(f"{'all':24s} {report['n_samples']:7d} {f(report['mean_distance'], '{:8.2f}'):>8s} "
                 f"{f(report['image_fidelity'], '{:6.3f}'):>6s}  ({report['n_points']} points)")
    if "clip_similarity" in report:
        lines.append(f"CLIP image similarity: {f(report['clip_similarity'], '{:.4f}')}")
    if report["missing"]:
        lines.append(f"missing results: {len(report['missing'])} ({', '.join(report['missing'][:5])}"
                     f"{', …' if len(report['missing']) > 5 else ''})")
    for e in report["errors"]:
        lines.append(f"error: {e['id']}: {e['error']}")
    lines += [f"note: {n}" for n in report["notes"]]
    return "\n".join(lines)
