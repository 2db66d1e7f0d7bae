"""Run a job list: one result folder per job, resumable, failures isolated, sharded over processes.

    from dragon_widgets.batch import load_jobs, run_batch, RunSettings
    summary = run_batch(load_jobs("shapesbench:test:drag:10"), "out/", RunSettings(preset="embedded"))

Each process (see :mod:`.distributed`) loads the model once on its device and runs its share of the jobs that are
not finished yet (:func:`~.results.is_finished`): prepare the job's input, invert it, edit it, measure it, and
write ``dragged_image.png``, the edit log and last ``job.json`` (see :mod:`.results`). A job that raises gets a
"failed" record with a one-line error (the traceback in ``error.txt``) and the run goes on; a crash loses at most
the job that was running, whose folder has no record and is run again by the next run. The main process shows a
progress bar, then writes the summary (:mod:`.summary`).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .distributed import Processes, processes
from .jobs import Job, Prepared
from .results import (BATCH_NAME, EDIT_LOG_DIR, ERROR_NAME, RECORD_NAME, RESULT_NAME, is_finished, job_folder,
                      write_json)


@dataclass
class RunSettings:
    """How a batch runs. ``preset``: a preset name, a :class:`~dragon_widgets.engine.Preset` or a preset dict;
    None = each job's own preset (saved edits, JSONL ``preset``) or else the model's default. ``changes``:
    values changed in whichever preset is in force, ``{"num_steps": 20, "drag.w_edit": 6}`` (``mode.field`` for a
    mode's parameters). ``seed``: every job's seed (None = the job's own, else 0). ``metrics``: measure each edit
    (background PSNR, drag distances; a few extra UNet passes). ``retry_failed``: run failed jobs again."""

    model: str = "embedded"
    preset: Any = None
    changes: dict = field(default_factory=dict)
    seed: int | None = None
    metrics: bool = True
    retry_failed: bool = False
    progress: bool = True
    dtype: str | None = None
    cpu: bool | None = None  # force CPU processes (default: CPU when CUDA is not available)
    sheet_max: int = 100  # jobs on the contact sheet

    def identity(self) -> dict:
        """What must not change between a run and its resumption (results made otherwise would be mixed)."""
        preset = self.preset
        if preset is not None and not isinstance(preset, (str, dict)):
            preset = preset.to_dict()
        return json.loads(json.dumps({"model": self.model, "preset": preset, "changes": self.changes,
                                      "seed": self.seed, "dtype": self.dtype}, default=list))


def apply_changes(preset: Any, changes: dict) -> Any:
    """``preset`` with ``changes`` applied (``key`` for a preset field, ``mode.field`` for a mode parameter),
    checked. ``ValueError`` names a key that does not exist."""
    from dataclasses import fields

    from ..engine.presets import Preset

    names = {f.name for f in fields(Preset)} - {"modes", "name"}
    top = {}
    for key, value in changes.items():
        if "." in key:
            mode, name = key.split(".", 1)
            try:
                preset = preset.with_mode(mode, **{name: tuple(value) if isinstance(value, list) else value})
            except (TypeError, ValueError) as err:
                raise ValueError(f"--set {key}: {mode!r} has no parameter {name!r} ({err})"[:500]) from None
        elif key in names:
            top[key] = tuple(value) if isinstance(value, list) else value
        else:
            raise ValueError(f"--set {key}: the preset has no field {key!r}; fields: {sorted(names)} (or "
                             f"MODE.PARAM for a mode's parameters, e.g. drag.w_edit)")
    if top or changes:
        preset = preset.replace(name=f"{preset.name}+", **top)
    return preset.check()


def resolve_preset(preset: Any, default: str, changes: dict) -> Any:
    """A checked :class:`Preset` from a name, a Preset, a preset dict (checked as untrusted) or None
    (``default``), with ``changes`` applied."""
    from ..engine.preset_limits import check_preset_dict
    from ..engine.presets import Preset, get_preset

    if preset is None:
        p = get_preset(default)
    elif isinstance(preset, dict):
        p = Preset.from_dict(check_preset_dict(preset))
    else:
        p = get_preset(preset)
    return apply_changes(p, changes) if changes else p.check()


class _Editors:
    """One ``DragonEditor`` per preset in use, all on one pipeline."""

    def __init__(self, pipe: Any, settings: RunSettings) -> None:
        from ..engine import DragonEditor
        from ..engine.families import family_of

        self.pipe, self.settings = pipe, settings
        self.default = family_of(pipe).preset
        self._cls = DragonEditor
        self._cache: dict[str, Any] = {}

    def for_job(self, job_preset: Any) -> Any:
        chosen = self.settings.preset if self.settings.preset is not None else job_preset
        key = json.dumps(chosen if not hasattr(chosen, "to_dict") else chosen.to_dict(), sort_keys=True, default=list)
        if key not in self._cache:
            self._cache[key] = self._cls(self.pipe, preset=resolve_preset(chosen, self.default, self.settings.changes))
        return self._cache[key]


def _one_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {text}"[:500] if text else type(err).__name__


def _save_png(image: Any, path: Path) -> None:
    from PIL import Image

    img = image if isinstance(image, Image.Image) else Image.fromarray(np.asarray(image))
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    img.save(tmp, format="PNG")
    os.replace(tmp, path)


def _clear(folder: Path) -> None:
    """Remove what an unfinished run of this job left (only the files the runner writes)."""
    for name in (RECORD_NAME, RESULT_NAME, ERROR_NAME):
        (folder / name).unlink(missing_ok=True)
    if (folder / EDIT_LOG_DIR).is_dir():
        shutil.rmtree(folder / EDIT_LOG_DIR)


def _edit_geometry(edit: Any) -> dict:
    """The edit's drawn geometry in input pixels (for the record and the results browser)."""
    out: dict = {}
    if getattr(edit, "points", None):
        out["points"] = [[list(map(float, a)), list(map(float, b))] for a, b in edit.points]
    if getattr(edit, "offset", None) is not None:
        out["offset"] = [float(v) for v in edit.offset]
    if hasattr(edit, "scale"):
        out["scale"] = float(edit.scale)
    return out


def run_job(job: Job, folder: Path, editors: _Editors, settings: RunSettings, proc: Processes,
            model: str) -> dict:
    """Run one job into ``folder``; returns its record (also written as ``job.json``). Never raises for a bad job."""
    folder.mkdir(parents=True, exist_ok=True)
    _clear(folder)
    record: dict = {"job": job.to_dict(), "status": "failed", "error": None, "rank": proc.index,
                    "world_size": proc.count, "host": proc.host, "device": proc.device, "model": model,
                    "mode": job.mode, "started": time.time()}
    t0 = time.perf_counter()
    seconds: dict = {}
    try:
        prep: Prepared = job.prepare()
        editor = editors.for_job(prep.preset)
        seed = settings.seed if settings.seed is not None else (prep.seed if prep.seed is not None else 0)
        record.update(mode=prep.mode, prompt=prep.prompt, seed=seed, preset=editor.preset.name,
                      input_size=[int(prep.image.shape[1]), int(prep.image.shape[0])], **_edit_geometry(prep.edit))
        src = editor.invert(prep.image, prompt=prep.source_prompt)
        res = editor.edit(src, prep.edit, seed=seed, prompt=prep.prompt, params=prep.params)
        seconds.update(invert=src.timings.get("invert", 0.0), edit=res.timings.get("edit", 0.0))
        if settings.metrics:
            from ..engine.metrics import measure_edit

            t1 = time.perf_counter()
            res.metrics = measure_edit(editor, res)
            seconds["metrics"] = time.perf_counter() - t1
            record["metrics"] = res.metrics
        if prep.task is not None:
            from ..bench.metrics import score
            from ..bench.runner import _as_uint8

            record["shapesbench"] = score(_as_uint8(res.image, prep.task.res), prep.task,
                                          seconds["invert"] + seconds["edit"]).to_dict()
        res.save(folder / EDIT_LOG_DIR)
        _save_png(res.image, folder / RESULT_NAME)
        record["status"] = "done"
    except Exception as err:  # a failing job is recorded, the run goes on
        record["error"] = _one_line(err)
        (folder / ERROR_NAME).write_text("".join(traceback.format_exception(err)))
    seconds["total"] = time.perf_counter() - t0
    record["seconds"] = seconds
    record["finished"] = time.time()
    write_json(folder / RECORD_NAME, record)
    return record


def _write_batch_file(out: Path, jobs: list[Job], settings: RunSettings, write: bool = True) -> None:
    """``batch.json``: the settings and the job list. A resumed run must have the same settings (checked by every
    process, so that each stops with the same error; only ``write`` writes)."""
    path = out / BATCH_NAME
    ident = settings.identity()
    if path.exists():
        try:
            old = json.loads(path.read_text())
        except ValueError:
            old = {}
        before = old.get("settings", {})
        diff = sorted(k for k in set(before) | set(ident) if before.get(k) != ident.get(k))
        if diff and old.get("jobs"):
            raise ValueError(f"{out} holds results of a run with other settings ({', '.join(diff)}: "
                             f"{ {k: before.get(k) for k in diff} } there, { {k: ident.get(k) for k in diff} } now); "
                             f"give another --out folder, or the same settings to resume it")
        known = {(j["category"], j["sample"]): j for j in old.get("jobs", []) if isinstance(j, dict)}
    else:
        known = {}
    if not write:
        return
    for j in jobs:  # a resumed run with a longer or other list keeps the jobs it already holds
        known[(j.category, j.sample)] = j.to_dict()
    write_json(path, {"settings": ident, "jobs": list(known.values()), "updated": time.time()})


def run_batch(jobs: list[Job], out: str | os.PathLike, settings: RunSettings | None = None, pipe: Any = None,
              proc: Processes | None = None, log: Callable[[str], None] | None = None) -> dict | None:
    """Run ``jobs`` into ``out`` on this process's share (see the module docstring). Returns the summary dict on
    the main process (None on the others). ``pipe``: an already loaded pipeline (default: ``settings.model`` on
    this process's device)."""
    from .summary import write_summary

    settings = settings or RunSettings()
    proc = proc or processes(settings.cpu)
    out = Path(out)
    say = log or (lambda text: print(text, file=sys.stderr, flush=True))
    if not jobs:
        raise ValueError("the job list is empty")
    if proc.is_main:
        out.mkdir(parents=True, exist_ok=True)
    _write_batch_file(out, jobs, settings, write=proc.is_main)
    t_load = time.perf_counter()
    if pipe is None:
        import torch

        from ..engine import load_pipeline

        dtype = getattr(torch, settings.dtype) if settings.dtype else None
        pipe = load_pipeline(None if settings.model == "embedded" else settings.model, device=proc.device, dtype=dtype)
    from ..engine.pipeline import model_id

    model = model_id(pipe) or settings.model
    editors = _Editors(pipe, settings)
    load_seconds = time.perf_counter() - t_load
    pending = [j for j in jobs if not is_finished(job_folder(out, j.id), settings.retry_failed)]
    proc.wait()  # every process has listed the pending jobs before any runs one
    bar = None
    if proc.is_main and settings.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(jobs), initial=len(jobs) - len(pending), unit="job", dynamic_ncols=True,
                   desc=f"batch ({proc.count} process{'es' if proc.count > 1 else ''})", file=sys.stderr)
    done = failed = 0
    t_run = time.perf_counter()
    with proc.split(pending) as mine:
        for job in mine:
            rec = run_job(job, job_folder(out, job.id), editors, settings, proc, model)
            if rec["status"] == "done":
                done += 1
            else:
                failed += 1
                text = f"[rank {proc.index}] {job.id} failed: {rec['error']}"
                (bar.write(text, file=sys.stderr) if bar is not None else say(text))
            if bar is not None:
                bar.n = len(jobs) - sum(1 for j in pending if not is_finished(job_folder(out, j.id), True)) \
                    if proc.count > 1 else bar.n + 1
                bar.refresh()
    run_seconds = time.perf_counter() - t_run
    stats = proc.gather([{"rank": proc.index, "host": proc.host, "device": proc.device, "jobs": done + failed,
                          "done": done, "failed": failed, "load_seconds": load_seconds,
                          "run_seconds": run_seconds}])
    if bar is not None:
        bar.n = bar.total
        bar.close()
    summary = None
    if proc.is_main:
        summary = write_summary(out, [j.id for j in jobs], stats, settings, model, proc.count, len(pending))
    proc.wait()
    return summary
