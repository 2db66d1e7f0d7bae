"""A batch result folder, read and written without torch (the results browser and the summary use it).

Layout (DragBench's, so the official evaluation scripts read it)::

    <out>/<category>/<sample>/dragged_image.png   the edited image, at the input's size
    <out>/<category>/<sample>/job.json            the job's record (below); written last: a job is finished
                                                  when it exists
    <out>/<category>/<sample>/edit/               the engine's edit log (dw.replay(folder) re-runs it)
    <out>/<category>/<sample>/error.txt           the traceback of a failed job
    <out>/batch.json                              the run's settings and the job list
    <out>/summary.json, summary.csv, contact_sheet.png

A record (``job.json``) holds ``job`` (the job dict), ``status`` ("done" or "failed"), ``error`` (one line, for a
failed job), ``rank``/``world_size``/``host``/``device`` (the process that made it), ``seconds`` (invert, edit,
metrics, total), ``model``, ``preset``, ``seed``, ``mode``, ``prompt``, ``points`` (handle → target pairs in
input pixels), ``metrics`` (the engine's in-line metrics: background PSNR, drag distances) and, for ShapesBench
jobs, ``shapesbench`` (the benchmark's score against the ground truth).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path
from typing import Any, Iterable

RECORD_NAME = "job.json"
RESULT_NAME = "dragged_image.png"
EDIT_LOG_DIR = "edit"
ERROR_NAME = "error.txt"
BATCH_NAME = "batch.json"
SUMMARY_JSON = "summary.json"
SUMMARY_CSV = "summary.csv"
SHEET_NAME = "contact_sheet.png"
#: The columns of summary.csv, in order.
CSV_COLUMNS = ("id", "category", "sample", "mode", "status", "error", "rank", "host", "seconds",
               "background_psnr", "drag_before", "drag_after", "success", "iou", "result")


def json_ready(value: Any) -> Any:
    """``value`` with non-finite floats as None and numpy numbers/tuples as plain JSON values."""
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", None) == 0:
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write ``data`` as JSON atomically (a temporary file renamed over ``path``; the folder is made if needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(json_ready(data), indent=1, allow_nan=False))
    os.replace(tmp, path)


def job_folder(out: str | os.PathLike, job_id: str) -> Path:
    """``<out>/<category>/<sample>``."""
    category, sample = job_id.split("/", 1)
    return Path(out) / category / sample


def read_record(folder: str | os.PathLike) -> dict | None:
    """The record in ``folder`` (None when the job has not finished, or its record is unreadable)."""
    p = Path(folder) / RECORD_NAME
    try:
        d = json.loads(p.read_text())
    except (OSError, ValueError):
        return None
    return d if isinstance(d, dict) and d.get("status") in ("done", "failed") else None


def is_finished(folder: str | os.PathLike, retry_failed: bool = False) -> bool:
    """A finished job: a "done" record with its image, or (unless ``retry_failed``) a "failed" record."""
    rec = read_record(folder)
    if rec is None:
        return False
    if rec["status"] == "done":
        return (Path(folder) / RESULT_NAME).is_file()
    return not retry_failed


def _mean(values: Iterable[Any]) -> float | None:
    vals = [float(v) for v in values if isinstance(v, (int, float)) and math.isfinite(float(v))]
    return sum(vals) / len(vals) if vals else None


def row_of(job_id: str, record: dict | None) -> dict:
    """One flat row (summary.csv's columns) from a record; a job without one is ``missing``."""
    category, sample = job_id.split("/", 1)
    row = {k: None for k in CSV_COLUMNS}
    row.update(id=job_id, category=category, sample=sample, status="missing")
    if record is None:
        return row
    metrics = record.get("metrics") or {}
    drag = metrics.get("drag") or []
    bench = record.get("shapesbench") or {}
    row.update(mode=record.get("mode"), status=record.get("status"), error=record.get("error"),
               rank=record.get("rank"), host=record.get("host"),
               seconds=(record.get("seconds") or {}).get("total"), background_psnr=metrics.get("background_psnr"),
               drag_before=_mean(d.get("before") for d in drag), drag_after=_mean(d.get("after") for d in drag),
               success=bench.get("success"), iou=bench.get("iou"),
               result=f"{job_id}/{RESULT_NAME}" if record.get("status") == "done" else None)
    return row


def csv_text(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), extrasaction="ignore", lineterminator="\n")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_COLUMNS})
    return buf.getvalue()


class BatchResult:
    """A batch result folder: its job list (``batch.json``), records and images.

    >>> res = BatchResult("out/")
    >>> res.job_ids, res.record("drag/test-drag-000"), res.rows()
    """

    def __init__(self, folder: str | os.PathLike) -> None:
        self.folder = Path(folder)
        meta = self.folder / BATCH_NAME
        try:
            self.batch = json.loads(meta.read_text())
        except FileNotFoundError:
            raise ValueError(f"{str(self.folder)!r} is not a batch result: it has no {BATCH_NAME} (made by "
                             f"python -m dragon_widgets.batch run)") from None
        except ValueError as err:
            raise ValueError(f"{meta} is not valid JSON ({err})") from None
        jobs = self.batch.get("jobs") if isinstance(self.batch, dict) else None
        if not isinstance(jobs, list):
            raise ValueError(f"{meta} has no job list")
        self.jobs = {f"{j['category']}/{j['sample']}": j for j in jobs if isinstance(j, dict)}

    @property
    def job_ids(self) -> list[str]:
        return list(self.jobs)

    def folder_of(self, job_id: str) -> Path:
        return job_folder(self.folder, job_id)

    def record(self, job_id: str) -> dict | None:
        return read_record(self.folder_of(job_id))

    def rows(self) -> list[dict]:
        return [row_of(j, self.record(j)) for j in self.job_ids]

    def summary(self) -> dict | None:
        try:
            return json.loads((self.folder / SUMMARY_JSON).read_text())
        except (OSError, ValueError):
            return None
