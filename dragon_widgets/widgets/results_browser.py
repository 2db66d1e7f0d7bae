"""ResultsBrowser: page through a batch result in the notebook, worst first, and fix one job in the editor.

    from dragon_widgets.widgets.results_browser import ResultsBrowser
    ResultsBrowser("out/")                                  # a folder written by python -m dragon_widgets.batch run
    ResultsBrowser("out/", evaluation="out/eval.json")      # with the evaluator's per-sample rows (eval --output)

Each job shows its input with the drag points (handle red → target blue), the result (yellow squares: where the
handle was found in it), and its metrics: status and error, the process that made it, timings, the in-line
metrics (background PSNR, drag distances), the ShapesBench score where there is ground truth, and the evaluation's
Mean Distance and LPIPS when given. *Sort* orders the jobs worst first by a metric; *Open in editor* builds an
:class:`~dragon_widgets.widgets.app.EditorApp` with the job's image, mask, points, mode, prompt, seed and preset,
ready to run again and fix.
"""

from __future__ import annotations

import html
import json
import math
from pathlib import Path
from typing import Any, Callable

import ipywidgets as W

from ..batch.results import EDIT_LOG_DIR, BatchResult
from ..batch.thumbs import after_image, as_png, before_image, draw_points, scaled

#: Shown side of the before/after images (px); small images are enlarged with crisp pixels.
SIDE = 320


def _num(v: Any) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(float(v)) else None


#: sort key → (label, value of a row, True when larger is worse). Rows without the value go last.
SORTS: dict[str, tuple[str, Callable[[dict], Any], bool]] = {
    "order": ("job list order", lambda r: None, True),
    "failed": ("failed first", lambda r: {"failed": 2, "missing": 1}.get(r["status"], 0), True),
    "drag_after": ("worst drag distance after (px)", lambda r: _num(r.get("drag_after")), True),
    "background_psnr": ("worst background PSNR (dB)", lambda r: _num(r.get("background_psnr")), False),
    "iou": ("worst ShapesBench IoU", lambda r: _num(r.get("iou")), False),
    "eval_md": ("worst Mean Distance (evaluation)", lambda r: _num(r.get("eval_md")), True),
    "eval_lpips": ("worst LPIPS (evaluation)", lambda r: _num(r.get("eval_lpips")), True),
    "seconds": ("slowest", lambda r: _num(r.get("seconds")), True),
}


def _fmt(v: Any, digits: int = 2) -> str:
    n = _num(v)
    if n is not None:
        return f"{n:.{digits}f}"
    return "–" if v is None else html.escape(str(v))


class ResultsBrowser(W.VBox):
    """Browse the batch result in ``folder`` (see the module docstring).

    ``evaluation``: the evaluator's report (a dict, or the path of the JSON written by ``eval --output``; default:
    ``<folder>/eval.json`` when it exists). ``pipe``: the pipeline *Open in editor* uses (default: the run's
    model, loaded when first needed; the embedded model by the editor itself).
    """

    def __init__(self, folder: str | Path, evaluation: dict | str | Path | None = None, pipe: Any = None) -> None:
        self.result = BatchResult(folder)
        self.folder = self.result.folder
        self._pipe = pipe
        self.evaluation = self._load_evaluation(evaluation)
        self.rows = self.result.rows()
        ev = {s["id"]: s for s in (self.evaluation or {}).get("samples", [])}
        for r in self.rows:
            e = ev.get(r["id"])
            r["eval_md"] = e.get("mean_distance") if e else None
            r["eval_lpips"] = e.get("lpips") if e else None
        self._eval_rows = ev
        self.order: list[str] = [r["id"] for r in self.rows]
        self._by_id = {r["id"]: r for r in self.rows}
        self.position = 0
        self.editor_app: Any = None

        options = [(label, key) for key, (label, value, _w) in SORTS.items()
                   if key == "order" or any(value(r) is not None for r in self.rows)]
        self.sort_by = W.Dropdown(options=options, value="order", description="Sort", layout=W.Layout(width="360px"))
        self.prev_button = W.Button(description="Previous", icon="arrow-left", layout=W.Layout(width="auto"))
        self.next_button = W.Button(description="Next", icon="arrow-right", layout=W.Layout(width="auto"))
        self.index = W.BoundedIntText(value=1, min=1, max=max(1, len(self.rows)), description="Job",
                                      layout=W.Layout(width="150px"))
        self.count_label = W.HTML()
        self.header = W.HTML(self._header_html())
        self.before = W.Image(format="png", layout=W.Layout(width=f"{SIDE}px", height="auto"))
        self.after = W.Image(format="png", layout=W.Layout(width=f"{SIDE}px", height="auto"))
        self.details = W.HTML()
        self.open_button = W.Button(description="Open in editor", icon="pencil", button_style="primary",
                                    layout=W.Layout(width="auto"))
        self.status = W.HTML()
        self.editor_box = W.VBox([])
        super().__init__([
            self.header,
            W.HBox([self.sort_by, self.prev_button, self.index, self.next_button, self.count_label]),
            W.HBox([W.VBox([W.HTML("<b>Before</b> (handle red → target blue)"), self.before]),
                    W.VBox([W.HTML("<b>After</b> (yellow: where the handle was found)"), self.after]),
                    self.details]),
            W.HBox([self.open_button, self.status]),
            self.editor_box,
        ])
        self.add_class("dw-results-browser")
        self.sort_by.observe(lambda ch: self.sort(ch["new"]), "value")
        self.prev_button.on_click(lambda _b: self.show_position(self.position - 1))
        self.next_button.on_click(lambda _b: self.show_position(self.position + 1))
        self.index.observe(lambda ch: self.show_position(ch["new"] - 1), "value")
        self.open_button.on_click(lambda _b: self._open_clicked())
        self.show_position(0)

    # ------------------------------------------------------------------ data
    def _load_evaluation(self, evaluation: Any) -> dict | None:
        if evaluation is None:
            p = self.folder / "eval.json"
            evaluation = p if p.is_file() else None
        if evaluation is None or isinstance(evaluation, dict):
            return evaluation
        try:
            data = json.loads(Path(evaluation).read_text())
        except (OSError, ValueError) as err:
            raise ValueError(f"evaluation {str(evaluation)!r} is not a readable evaluation JSON ({err})") from None
        if not isinstance(data, dict) or "samples" not in data:
            raise ValueError(f"evaluation {str(evaluation)!r} is not an evaluation report (no 'samples')")
        return data

    def _header_html(self) -> str:
        n = len(self.rows)
        counts = {s: sum(r["status"] == s for r in self.rows) for s in ("done", "failed", "missing")}
        text = (f"<b>{html.escape(str(self.folder))}</b>: {n} jobs — {counts['done']} done, {counts['failed']} "
                f"failed, {counts['missing']} not run")
        summary = self.result.summary()
        if summary:
            m = summary.get("means") or {}
            if m.get("drag_after") is not None:
                text += f"; mean drag distance {_fmt(m.get('drag_before'))} → {_fmt(m.get('drag_after'))} px"
        if self.evaluation:
            text += (f"<br>Evaluation: Mean Distance {_fmt(self.evaluation.get('mean_distance'))} px, Image Fidelity "
                     f"{_fmt(self.evaluation.get('image_fidelity'), 3)} on {self.evaluation.get('n_samples')} samples")
        return text

    @property
    def current_id(self) -> str | None:
        return self.order[self.position] if self.order else None

    # ------------------------------------------------------------------ navigation
    def sort(self, key: str) -> None:
        """Order the jobs worst first by ``key`` (one of :data:`SORTS`); jobs without the value go last."""
        if key not in SORTS:
            raise ValueError(f"key must be one of {tuple(SORTS)}, got {key!r}")
        if self.sort_by.value != key:
            self.sort_by.value = key  # observed: calls sort again
            return
        _label, value, larger_worse = SORTS[key]
        ids = [r["id"] for r in self.rows]
        if key != "order":
            have = [r for r in self.rows if value(r) is not None]
            have.sort(key=lambda r: value(r), reverse=larger_worse)
            ids = [r["id"] for r in have] + [r["id"] for r in self.rows if value(r) is None]
        self.order = ids
        self.show_position(0)

    def show_position(self, position: int) -> None:
        """Show the job at ``position`` of the current order (clamped)."""
        if not self.order:
            self.details.value = "<i>No jobs.</i>"
            return
        self.position = max(0, min(len(self.order) - 1, int(position)))
        if self.index.value != self.position + 1:
            self.index.value = self.position + 1  # observed: comes back here with the same position
        self.prev_button.disabled = self.position == 0
        self.next_button.disabled = self.position == len(self.order) - 1
        self.count_label.value = f"of {len(self.order)}: <code>{html.escape(self.current_id)}</code>"
        self._render(self.current_id)

    def show(self, job_id: str) -> None:
        """Show the job ``job_id`` ("category/sample")."""
        if job_id not in self._by_id:
            raise ValueError(f"no job {job_id!r} in {self.folder}")
        self.show_position(self.order.index(job_id))

    def _render(self, job_id: str) -> None:
        folder = self.result.folder_of(job_id)
        job = self.result.jobs.get(job_id)
        record = self.result.record(job_id) or {}
        points = record.get("points") or []
        tracked = [d.get("tracked") for d in (record.get("metrics") or {}).get("drag") or [] if d.get("tracked")]
        ev = self._eval_rows.get(job_id)
        found = [p["found"] for p in ev["points"]] if ev else []
        b = before_image(folder, job)
        if b is not None:
            small, k = scaled(b, SIDE)
            self.before.value = as_png(draw_points(small, points, k))
        else:
            self.before.value = b""
        a = after_image(folder)
        if a is not None:
            small, k = scaled(a, SIDE)
            self.after.value = as_png(draw_points(small, points, k, tracked or [(x + 0.5, y + 0.5) for x, y in found]))
        else:
            self.after.value = b""
        self.details.value = self._details_html(job_id, record, ev)
        self.status.value = ""

    def _details_html(self, job_id: str, record: dict, ev: dict | None) -> str:
        row = self._by_id[job_id]
        items = [("status", html.escape(str(row["status"]))), ("mode", _fmt(row.get("mode")))]
        if row.get("error"):
            items.append(("error", f"<span style='color:#b00020'>{html.escape(row['error'])}</span>"))
        if record:
            items += [("process", f"rank {record.get('rank')} of {record.get('world_size')} on "
                                  f"{html.escape(str(record.get('host')))} ({html.escape(str(record.get('device')))})"),
                      ("seconds", " · ".join(f"{k} {_fmt(v, 1)}" for k, v in (record.get("seconds") or {}).items())),
                      ("prompt", html.escape(repr(record.get("prompt", "")))), ("seed", _fmt(record.get("seed"))),
                      ("preset", _fmt(record.get("preset")))]
        m = record.get("metrics") or {}
        if m:
            items.append(("background PSNR", f"{_fmt(m.get('background_psnr'), 1)} dB"))
            for i, d in enumerate(m.get("drag") or []):
                items.append((f"drag {i + 1}", f"{_fmt(d.get('before'), 1)} → {_fmt(d.get('after'), 1)} px"))
        sb = record.get("shapesbench") or {}
        if sb:
            items.append(("ShapesBench", f"success {sb.get('success')}, IoU {_fmt(sb.get('iou'))}"
                                         + (f", drag {_fmt(sb.get('md_start'), 1)} → {_fmt(sb.get('md_end'), 1)} px"
                                            if sb.get("md_start") is not None else "")))
        if ev:
            items.append(("evaluation", f"MD {_fmt(ev.get('mean_distance'))} px, LPIPS {_fmt(ev.get('lpips'), 3)}"))
        body = "".join(f"<tr><td style='padding-right:8px'><b>{k}</b></td><td>{v}</td></tr>" for k, v in items)
        return f"<table class='dw-results-details'>{body}</table>"

    # ------------------------------------------------------------------ the editor
    def _pipe_for_editor(self) -> Any:
        if self._pipe is not None:
            return self._pipe
        model = (self.result.batch.get("settings") or {}).get("model", "embedded")
        if model in (None, "", "embedded"):
            return None  # the editor loads the embedded model itself
        import torch

        from ..engine import load_pipeline

        self._pipe = load_pipeline(model, device="cuda" if torch.cuda.is_available() else "cpu")
        return self._pipe

    def _preset_for(self, job_id: str, prep: Any) -> Any:
        from ..batch.runner import resolve_preset
        from ..engine.preset_limits import check_preset_dict
        from ..engine.presets import Preset

        log = self.result.folder_of(job_id) / EDIT_LOG_DIR / "edit.json"
        if log.is_file():
            try:
                return Preset.from_dict(check_preset_dict(json.loads(log.read_text())["preset"])).check()
            except (OSError, ValueError, KeyError, TypeError):
                pass
        settings = self.result.batch.get("settings") or {}
        chosen = settings.get("preset") if settings.get("preset") is not None else prep.preset
        if chosen is None and not settings.get("changes"):
            return None
        return resolve_preset(chosen, "embedded" if settings.get("model", "embedded") == "embedded" else "sd15",
                              settings.get("changes") or {})

    def open_in_editor(self, job_id: str | None = None) -> Any:
        """An :class:`EditorApp` set up as the job ``job_id`` (default: the one shown): its image, drawing (mask,
        points, arrow, reference), mode, prompt, seed and preset. It is also shown under the browser."""
        from ..batch.jobs import Job
        from .app import EditorApp

        job_id = job_id or self.current_id
        job = self.result.jobs.get(job_id)
        if job is None:
            raise ValueError(f"no job {job_id!r} in {self.folder}")
        prep = Job.from_dict(job).prepare()
        record = self.result.record(job_id) or {}
        edit = prep.edit
        reference = getattr(edit, "reference", None)
        if reference is not None and hasattr(reference, "image"):
            reference = reference.image  # a dw.Source
        app = EditorApp(prep.image, pipe=self._pipe_for_editor(), prompt=prep.prompt, mode=prep.mode,
                        preset=self._preset_for(job_id, prep), reference=reference)
        canvas = app.canvas
        with canvas.hold_sync():
            if getattr(edit, "mask", None) is not None:
                canvas.mask = edit.mask
            if getattr(edit, "points", None):
                canvas.points = [[[float(v) for v in a], [float(v) for v in b]] for a, b in edit.points]
            region = getattr(edit, "reference_region", None)
            if region is not None:
                canvas.region = region
            if prep.mode in ("move", "resize") and edit.mask is not None:
                import numpy as np

                ys, xs = np.nonzero(np.asarray(edit.mask))
                cx, cy = (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2
                dx, dy = (float(v) for v in edit.offset)
                if dx or dy:
                    canvas.arrow = [[float(cx), float(cy)], [float(cx + dx), float(cy + dy)]]
        if prep.mode in ("resize", "paste"):
            app.params.scale.value = float(edit.scale)
        if prep.mode == "paste":
            app.params.dx.value, app.params.dy.value = (int(round(float(v))) for v in edit.offset)
        if getattr(edit, "reference_mask", None) is not None:
            app.reference_canvas.mask = edit.reference_mask
        seed = record.get("seed", prep.seed)
        if isinstance(seed, int):
            app.params.seed.value = seed
        self.editor_app = app
        self.editor_box.children = (app,)
        return app

    def _open_clicked(self) -> None:
        try:
            self.open_in_editor()
        except Exception as exc:  # a job whose input cannot be read: say so, keep the browser
            self.status.value = f"<span style='color:#b00020'>Cannot open {html.escape(str(self.current_id))}: " \
                                f"{html.escape(str(exc))}</span>"
            return
        self.status.value = f"Opened {html.escape(str(self.current_id))} in the editor below: change it and press Run."
