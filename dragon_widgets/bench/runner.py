"""Run ShapesBench: the method (the engine's ``DragonEditor``) against the naive baseline.

    from dragon_widgets.bench import runner
    pipe = runner.load_pipe()                        # embedded model (dw.load_pipeline)
    report = runner.benchmark(pipe, split="test", n=20)
    print(runner.format_report(report))

Conventions the method side relies on (the engine's public API, ``docs/engine_api.md``):

* The edit mask handed to the editor is the task's object mask dilated by ``edit_dilate`` px (1)
  so the anti-aliased rim moves with the object.
* ``dw.Move`` scales about the mask's bounding-box centre while tasks scale about the shape's
  centroid, so the offset passed is corrected by ``(1 - s)·(centroid - bbox centre)`` —
  the same target either way.
* Drags get an editable region (``drag_region``): ``"object"`` (default) is the whole object mask
  dilated by the drag length + 2 px; ``"local"`` is what a user might paint around the dragged corner
  only — every pixel within drag length + 2 px of the handle→target segment.
* Time per edit includes the inversion (``editor.invert`` + ``editor.edit``), as for the baseline.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core.geometry import mask_center
from ..core.masks import dilate
from ..core.psnr import psnr
from .metrics import EditScore, score, summarize
from .scenes import caption, render, to_uint8
from .segment import detect, parse_caption
from .tasks import DRAG_KINDS, KINDS, Task, caption_scenes, inversion_scenes, make_tasks

Progress = Callable[[str], None]


def embedded_dir():
    from pathlib import Path

    return Path(__file__).resolve().parents[1] / "models" / "embedded"


def embedded_available() -> bool:
    return (embedded_dir() / "model_index.json").exists()


def load_pipe(path: str | None = None, random_weights: bool = False, seed: int = 0):
    """The embedded pipeline (``dw.load_pipeline``), a pipeline folder, or random weights (smoke tests)."""
    if random_weights:
        from ..models.random_sd import random_embedded_pipeline

        pipe = random_embedded_pipeline(seed)
    else:
        from ..engine.pipeline import load_pipeline

        pipe = load_pipeline(path)  # None: the embedded model
    pipe.set_progress_bar_config(disable=True)
    return pipe


# ---------------------------------------------------------------------------------------------
# the method: task → dw edit


DRAG_REGIONS = ("object", "local")


def drag_region_mask(task: Task, region: str = "object") -> np.ndarray:
    """The editable region a drag task hands to ``dw.Drag`` (see the module docstring), at ``task.res``."""
    (h, t), = task.points[:1]
    r = math.hypot(t[0] - h[0], t[1] - h[1]) + 2
    if region == "object":
        return dilate(task.mask, int(math.ceil(r)))
    if region != "local":
        raise ValueError(f"drag_region must be one of {DRAG_REGIONS}, got {region!r}")
    yy, xx = np.mgrid[:task.res, :task.res].astype(float)
    hx, hy, dx, dy = h[0], h[1], t[0] - h[0], t[1] - h[1]
    u = np.clip(((xx - hx) * dx + (yy - hy) * dy) / max(dx * dx + dy * dy, 1e-9), 0.0, 1.0)
    return np.hypot(xx - (hx + u * dx), yy - (hy + u * dy)) <= r


def _upscale(mask: np.ndarray, k: int) -> np.ndarray:
    return mask if k == 1 else np.repeat(np.repeat(mask, k, 0), k, 1)


def make_edit(task: Task, edit_dilate: int = 1, drag_region: str = "object"):
    """The ``dw`` edit object that asks for ``task``, in the coordinates of its input image (``task.in_res``;
    dilations scale with it, so a 128-px input gets the same edit as the 64-px one): the task as a ``Drawing``,
    built by the engine's UI descriptor of the mode the task kind names."""
    from ..engine.ui_modes import Drawing, ui_mode

    k = task.in_res // task.res
    d = edit_dilate * k
    if task.kind in ("move", "resize"):
        mask = dilate(task.input_mask(), d)
        s = task.scale
        (mx, my), (bx, by) = task.to_input(*task.center), mask_center(mask)
        # engine centre is in pixel-edge units: pixel i spans [i, i+1), so its centre is i + 0.5
        dx = k * task.offset[0] + (1 - s) * ((mx + 0.5) - bx)
        dy = k * task.offset[1] + (1 - s) * ((my + 0.5) - by)
        drawing = Drawing(mask=mask, offset=(float(dx), float(dy)), scale=float(s))
    elif task.kind in DRAG_KINDS:
        points = [(task.to_input(*a), task.to_input(*b)) for a, b in task.points]
        drawing = Drawing(points=points, mask=_upscale(drag_region_mask(task, drag_region), k))
    elif task.kind == "paste":
        drawing = Drawing(reference=task.input_reference_image, reference_mask=dilate(task.input_reference_mask(), d),
                          offset=tuple(float(k * v) for v in task.offset), scale=float(task.scale))
    elif task.kind == "appearance":
        drawing = Drawing(mask=dilate(task.input_mask(), d), reference=task.input_reference_image,
                          reference_mask=dilate(task.input_reference_mask(), d))
    else:
        raise ValueError(f"unknown task kind {task.kind!r}")
    return ui_mode(task_mode(task.kind)).build(drawing)


def _as_uint8(img, res: int) -> np.ndarray:
    from PIL import Image

    if not isinstance(img, Image.Image):
        img = Image.fromarray(np.asarray(img))
    img = img.convert("RGB")
    if img.size != (res, res):
        img = img.resize((res, res), Image.BICUBIC)
    return np.asarray(img, dtype=np.uint8)


class EngineMethod:
    """The engine (``dw.DragonEditor``) on ShapesBench tasks."""

    name = "method"

    def __init__(self, pipe=None, preset=None, editor=None, seed: int = 0, edit_dilate: int = 1,
                 drag_region: str = "object"):
        from ..engine.editor import DragonEditor

        self.editor = editor if editor is not None else DragonEditor(pipe, preset=preset)
        self.seed = seed
        self.edit_dilate = edit_dilate
        self.drag_region = drag_region

    def run(self, task: Task) -> tuple[np.ndarray, float]:
        t0 = time.perf_counter()
        src = self.editor.invert(task.input_image)
        res = self.editor.edit(src, make_edit(task, self.edit_dilate, self.drag_region), seed=self.seed)
        return _as_uint8(res.image, task.res), time.perf_counter() - t0

    def generate(self, text: str, seed: int) -> np.ndarray:
        return _as_uint8(self.editor.generate(text, seed=seed).image, 64)


class BaselineMethod:
    name = "baseline"

    def __init__(self, pipe, steps: int = 50):
        from .baseline import NaiveBaseline

        self.impl = NaiveBaseline(pipe, steps=steps)

    def run(self, task: Task) -> tuple[np.ndarray, float]:
        return self.impl.run(task)


# ---------------------------------------------------------------------------------------------
# runs


@dataclass
class Run:
    name: str
    scores: list[EditScore] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)
    images: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self) -> dict:
        return summarize(self.scores)


def _result_path(store, run_name: str, task: Task):
    from pathlib import Path

    return Path(store) / run_name / f"{task.id}.png"


def load_result(store, run_name: str, task: Task) -> tuple[np.ndarray, float] | None:
    """A result saved by :func:`run_tasks` (``store``/``run_name``/``task.id``.png + its seconds), or None."""
    import json

    from PIL import Image

    p = _result_path(store, run_name, task)
    if not p.exists():
        return None
    meta = p.with_suffix(".json")
    sec = json.loads(meta.read_text()).get("seconds", float("nan")) if meta.exists() else float("nan")
    return _as_uint8(Image.open(p), task.res), float(sec)


def save_result(store, run_name: str, task: Task, img: np.ndarray, seconds: float) -> None:
    import json

    from PIL import Image

    p = _result_path(store, run_name, task)
    p.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(img).save(p)
    p.with_suffix(".json").write_text(json.dumps(dict(task=task.to_dict(), seconds=seconds)))


def run_tasks(method, tasks: list[Task], progress: Progress | None = None, keep_images: bool = False,
              store=None) -> Run:
    """Score ``method.run(task)`` on every task. An exception counts as a failed edit and is recorded.

    ``store``: a folder of result images. A task whose result is already there is scored from it (no
    edit is run), every new result is saved there — so an interrupted run resumes, and saved results can
    be re-scored after a metric changes.
    """
    run = Run(getattr(method, "name", type(method).__name__))
    for t in tasks:
        try:
            got = load_result(store, run.name, t) if store is not None else None
            if got is None:
                got = method.run(t)
                if store is not None:
                    save_result(store, run.name, t, *got)
            img, sec = got
            s = score(img, t, sec)
            if keep_images:
                run.images[t.id] = img
        except Exception as e:  # a crashing edit is a failed edit, not a crashed benchmark
            s = EditScore(t.id, t.kind, 0.0, float("nan"), float("nan"), success=False)
            run.errors.append(dict(task=t.id, error=f"{type(e).__name__}: {e}"))
        run.scores.append(s)
        if progress:
            progress(f"{run.name:8s} {t.id}: {s.line()}")
    return run


def _psnr_stats(vals: list[float]) -> dict:
    v = np.minimum(np.array(vals), 60.0)
    return dict(mean=float(v.mean()), min=float(v.min()), median=float(np.median(v)))


def inversion_psnr(pipe, n: int = 50, steps: int = 50, split: str = "test", editor=None) -> dict:
    """Inversion → reconstruction PSNR (empty prompt) on ``n`` scenes.

    ``plain``: diffusers' DDIM inversion and DDIM sampling (the classic method). ``engine`` (with an
    ``editor``): ``editor.invert`` + ``editor.reconstruct``, i.e. the inversion edits start from, with the
    preset's fixed-point refinement (``inversion_refine``).
    """
    from .baseline import NaiveBaseline

    b = NaiveBaseline(pipe, steps=steps)
    imgs = [to_uint8(render(sc, 64)[0]) for sc in inversion_scenes(n, split)]
    t0 = time.perf_counter()
    out: dict[str, Any] = dict(n=n, steps=steps, plain=_psnr_stats([psnr(b.reconstruct(i), i) for i in imgs]))
    out["plain"]["seconds"] = time.perf_counter() - t0
    if editor is not None:
        t0 = time.perf_counter()
        vals = [psnr(_as_uint8(editor.reconstruct(editor.invert(i)), 64), i) for i in imgs]
        out["engine"] = dict(_psnr_stats(vals), refine=editor.preset.inversion_refine,
                             seconds=time.perf_counter() - t0)
    return out


def caption_check(generate: Callable[[str, int], np.ndarray], n: int = 64, split: str = "test",
                  progress: Progress | None = None) -> dict:
    """Sample ``n`` captions; the share of samples with every asked (colour, shape) present and clean edges."""
    rows = []
    for i, sc in enumerate(caption_scenes(n, split)):
        text = caption(sc)
        try:
            r = detect(generate(text, i), text)
        except Exception as e:  # a failed sample is a missing sample
            r = dict(all=False, clean=False, edge_px=float("nan"), error=f"{type(e).__name__}: {e}",
                     items=[dict(color=c, kind=k, found=False) for c, k in parse_caption(text)])
        rows.append(dict(caption=text, all=r["all"], clean=r["clean"], edge_px=r["edge_px"], error=r.get("error"),
                         items=[(it["color"], it["kind"], it["found"]) for it in r["items"]]))
        if progress:
            progress(f"caption {i}: {text!r} all={r['all']} edge={r['edge_px']:.2f}px")
    items = [f for r in rows for (_, _, f) in r["items"]]
    edges = [r["edge_px"] for r in rows if not math.isnan(r["edge_px"])]
    return dict(n=n, all_present=float(np.mean([r["all"] for r in rows])), items_present=float(np.mean(items)),
                clean=float(np.mean([r["clean"] for r in rows if r["all"]])) if any(r["all"] for r in rows) else 0.0,
                edge_px=float(np.mean(edges)) if edges else float("nan"), rows=rows)


def save_grids(folder, tasks: list[Task], runs: list[Run], zoom: int = 3) -> list:
    """One PNG per task kind: rows = tasks; columns = source, ground truth, then each run's result."""
    from pathlib import Path

    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in dict.fromkeys(t.kind for t in tasks):
        rows = []
        for t in (t for t in tasks if t.kind == kind):
            cols = [t.source_image, t.target_image] + [r.images.get(t.id, np.zeros_like(t.source_image)) for r in runs]
            rows.append(np.concatenate([np.pad(c, ((1, 1), (1, 1), (0, 0)), constant_values=255) for c in cols], 1))
        grid = Image.fromarray(np.concatenate(rows, 0))
        grid = grid.resize((grid.width * zoom, grid.height * zoom), Image.NEAREST)
        p = folder / f"{kind}.png"
        grid.save(p)
        paths.append(p)
    (folder / "README.txt").write_text("columns: source | ground truth | " + " | ".join(r.name for r in runs) + "\n")
    return paths


def benchmark(pipe, split: str = "test", n: int = 20, kinds=KINDS, preset=None, baseline: bool = True,
              method: bool = True, inversion: int = 50, captions: int = 64, steps: int | None = None,
              progress: Progress | None = None, editor=None, images: str | None = None,
              drag_region: str = "object", store=None, stored_only: bool = False, roundtrip: int = 20) -> dict:
    """The full ShapesBench report as a JSON-serialisable dict (see :func:`format_report`).

    ``roundtrip``: scenes (and as many object-free backgrounds) for the round-trip check of the method's inversion
    (:func:`~.roundtrip.roundtrip_check`; 0 = skip).
    ``images``: a folder for per-kind PNG grids (source | ground truth | method | baseline).
    ``drag_region``: the editable region drags get (:func:`drag_region_mask`).
    ``store``: a folder of result images (:func:`run_tasks`): a rerun scores saved results instead of
    editing again and adds the missing ones. Use one folder per model and preset. ``stored_only``: score
    only the tasks whose method (``method=False``: baseline) result is in ``store`` — a partial run.
    """
    tasks = make_tasks(split, n, tuple(kinds))
    if stored_only:
        if store is None:
            raise ValueError("stored_only=True needs a store folder")
        name = EngineMethod.name if method else BaselineMethod.name
        tasks = [t for t in tasks if _result_path(store, name, t).exists()]
    report: dict[str, Any] = dict(split=split, n=n, kinds=list(kinds), drag_region=drag_region, runs={},
                                  stored_only=stored_only)
    m = None
    if method:
        m = EngineMethod(pipe, preset=preset, editor=editor, drag_region=drag_region)
        steps = steps or m.editor.preset.num_steps
        report["preset"] = m.editor.preset.name
    steps = steps or 50
    report["steps"] = steps
    runs = []
    if m is not None:
        runs.append(run_tasks(m, tasks, progress, keep_images=images is not None, store=store))
    if baseline:
        runs.append(run_tasks(BaselineMethod(pipe, steps), tasks, progress, keep_images=images is not None,
                              store=store))
    if images is not None:
        save_grids(images, tasks, runs)
    for r in runs:
        report["runs"][r.name] = dict(summary=r.summary(), scores=[s.to_dict() for s in r.scores], errors=r.errors)
    if inversion:
        report["inversion"] = inversion_psnr(pipe, inversion, steps, split, m.editor if m is not None else None)
    if roundtrip and m is not None:
        from .roundtrip import roundtrip_check

        report["roundtrip"] = roundtrip_check(m.editor, roundtrip, split)
    if captions and m is not None:
        report["captions"] = caption_check(m.generate, captions, split, progress)
    return report


def task_mode(kind: str) -> str:
    """The UI mode (engine descriptor) a task kind asks for: every drag kind is a drag."""
    return "drag" if kind in DRAG_KINDS else kind


def _mode_kinds() -> dict[str, tuple[str, ...]]:
    from ..engine.ui_modes import ui_mode

    out: dict[str, tuple[str, ...]] = {}
    for kind in KINDS:
        mode = ui_mode(task_mode(kind)).preset_mode
        out[mode] = out.get(mode, ()) + (kind,)
    return out


#: Which task kinds each preset mode serves (from the UI mode descriptors; resize is a Move with scale != 1).
MODE_KINDS = _mode_kinds()


def sweep(pipe, variants: dict, split: str = "tuning", n: int = 10, kinds=KINDS,
          progress: Progress | None = None, drag_region: str = "object",
          variant_kinds: dict[str, tuple[str, ...]] | None = None) -> dict:
    """Run the method with each preset in ``variants`` (label → ``dw.Preset``) on the same tasks.

    ``variant_kinds`` (label → kinds) restricts a variant to the kinds its change can affect (a variant that
    changes ``paste.energy_scale`` gives the same move results as the base); unlisted variants run all ``kinds``.
    Used to tune the ``embedded`` preset on the tuning split; returns ``{label: summary}``.
    """
    tasks = make_tasks(split, n, tuple(kinds))
    out = {}
    for label, preset in variants.items():
        own = (variant_kinds or {}).get(label, kinds)
        run = run_tasks(EngineMethod(pipe, preset=preset, drag_region=drag_region),
                        [t for t in tasks if t.kind in own], progress)
        run.name = label
        out[label] = dict(summary=run.summary(), errors=run.errors)
    return out


def format_sweep(result: dict, kinds=KINDS) -> str:
    lines = ["| variant | kind | " + " | ".join(_COLS[1:]) + " |", "|---|---|" + "---:|" * (len(_COLS) - 1)]
    for label, r in result.items():
        for kind in kinds:
            s = r["summary"].get(kind)
            if s is not None:
                lines.append(f"| {label} | {kind} | " + " | ".join(_cells(kind, s)) + " |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# tables


def _f(x: float, fmt: str = "{:.2f}") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    if isinstance(x, float) and math.isinf(x):
        return "∞"
    return fmt.format(x)


def _pct(x) -> str:
    return _f(x * 100 if x is not None and not math.isnan(x) else float("nan"), "{:.0f}")


def _md(s: dict) -> str:
    """Drag distances start→end, and how many dragged shapes were lost."""
    text = f"{_f(s['md_start'], '{:.1f}')}→{_f(s['md_end'], '{:.1f}')}"
    return text + (f" ({s['md_lost']} lost)" if s.get("md_lost") else "")


_COLS = ("method", "n", "success", "IoU", "fidelity IoU (shape ok %)", "invented obj. %", "others intact %",
         "ghost %", "bg PSNR dB (≥ 28 %)", "drag MD start→end (px)", "s/edit")


def _cells(kind: str, s: dict) -> list[str]:
    """Table cells after the method column (see :data:`_COLS`). Summaries from before the issue-11 metrics
    lack the new keys; their cells read –."""
    g = s.get
    return [str(s["n"]), _f(s["success"]), _f(s["iou"]),
            f"{_f(g('fidelity', float('nan')))} ({_pct(g('fidelity_ok', float('nan')))})",
            _pct(g("invented_rate", float("nan"))), _pct(g("bystanders_intact", float("nan"))),
            _pct(s["ghost"]), f"{_f(s['bg_psnr'], '{:.1f}')} ({_pct(g('bg_ok', float('nan')))})",
            _md(s) if kind in DRAG_KINDS else "–", _f(s["seconds"], "{:.1f}")]


def format_table(report: dict) -> str:
    """Markdown table: one row per (kind, method)."""
    lines = ["| kind | " + " | ".join(_COLS) + " |", "|---|---|" + "---:|" * (len(_COLS) - 1)]
    for kind in report["kinds"]:
        for name, run in report["runs"].items():
            s = run["summary"].get(kind)
            if s is not None:
                lines.append(f"| {kind} | {name} | " + " | ".join(_cells(kind, s)) + " |")
    return "\n".join(lines)


def format_report(report: dict) -> str:
    per_kind = (f"the saved results of tasks 0–{report['n'] - 1} per kind (n column)" if report.get("stored_only")
                else f"{report['n']} tasks per kind")
    out = [f"ShapesBench — split {report['split']}, {per_kind}, {report['steps']} DDIM steps"
           + (f", preset {report['preset']}" if "preset" in report else ""), "", format_table(report)]
    cuts = []
    for name, run in report["runs"].items():
        for kind in DRAG_KINDS:
            d = run["summary"].get(kind)
            if d and d["md_start"] and not math.isnan(d["md_end"]):
                lost = f", {d['md_lost']} of {d['n']} dragged shapes lost" if d.get("md_lost") else ""
                cuts.append(f"{name} {kind} {100 * (1 - d['md_end'] / d['md_start']):.0f}%{lost}")
    if cuts:
        out += ["", "Drag: mean handle→target distance cut by " + "; ".join(cuts) + " (target ≥ 60 % on drag-far)"]
    errs = {k: len(v["errors"]) for k, v in report["runs"].items() if v["errors"]}
    if errs:
        out += ["", "edits that raised: " + ", ".join(f"{k}: {v}" for k, v in errs.items())]
    if "inversion" in report:
        inv = report["inversion"]
        names = {"plain": "plain DDIM inversion", "engine": "engine inversion (refine={refine})"}
        out += [""] + [f"Inversion → reconstruction PSNR on {inv['n']} {report['split']} scenes, "
                       f"{names[k].format(**inv[k])}: mean {inv[k]['mean']:.2f} dB (min {inv[k]['min']:.2f}, "
                       f"median {inv[k]['median']:.2f})" for k in ("plain", "engine") if k in inv]
    if "roundtrip" in report:
        from .roundtrip import format_roundtrip

        out += ["", format_roundtrip(report["roundtrip"])]
    if "captions" in report:
        c = report["captions"]
        out += ["", f"Caption samples ({c['n']}): all asked shapes/colours present in {c['all_present'] * 100:.0f}%, "
                    f"items present {c['items_present'] * 100:.0f}%, clean edges in {c['clean'] * 100:.0f}% of the "
                    f"complete ones (mean edge width {_f(c['edge_px'])} px)"]
    return "\n".join(out)
