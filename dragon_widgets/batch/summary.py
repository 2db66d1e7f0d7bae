"""The end of a batch run: ``summary.json``, ``summary.csv`` and ``contact_sheet.png`` in the result folder.

The summary covers every job of the list, finished in this run or an earlier one: counts (done, failed,
missing), mean in-line metrics, the ShapesBench success rate where there is ground truth, the failures with their
one-line errors, and this run's throughput per process (from the statistics every process sends the main one).
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from .results import (BATCH_NAME, SHEET_NAME, SUMMARY_CSV, SUMMARY_JSON, csv_text, job_folder, read_record, row_of,
                      write_json)


def _mean(rows: list[dict], key: str) -> float | None:
    vals = [float(r[key]) for r in rows if isinstance(r.get(key), (int, float)) and math.isfinite(float(r[key]))]
    return sum(vals) / len(vals) if vals else None


def write_summary(out: Path, job_ids: list[str], stats: list[dict], settings: Any, model: str, world_size: int,
                  ran: int) -> dict:
    """Write the summary files for ``job_ids`` in ``out`` and return the summary dict. ``stats``: one dict per
    process of this run (rank, jobs, done, failed, load_seconds, run_seconds); ``ran``: jobs pending at the start."""
    out = Path(out)
    records = {j: read_record(job_folder(out, j)) for j in job_ids}
    rows = [row_of(j, records[j]) for j in job_ids]
    done = [r for r in rows if r["status"] == "done"]
    run_jobs = sum(s["jobs"] for s in stats)
    wall = max((s["run_seconds"] for s in stats), default=0.0)
    summary = {
        "jobs": len(rows), "done": len(done), "failed": sum(r["status"] == "failed" for r in rows),
        "missing": sum(r["status"] == "missing" for r in rows), "model": model,
        "settings": settings.identity() if hasattr(settings, "identity") else settings,
        "this_run": {"processes": world_size, "pending_at_start": ran, "jobs_run": run_jobs,
                     "wall_seconds": wall, "jobs_per_minute": 60.0 * run_jobs / wall if wall > 0 else None,
                     "per_process": stats},
        "means": {k: _mean(done, k) for k in ("seconds", "background_psnr", "drag_before", "drag_after")},
        "shapesbench_success": _mean([r for r in done if r.get("success") is not None], "success"),
        "failures": [{"id": r["id"], "error": r["error"], "rank": r["rank"]} for r in rows if r["status"] == "failed"],
        "rows": rows, "written": time.time(),
    }
    if isinstance(summary["shapesbench_success"], float):
        summary["shapesbench_success"] = round(summary["shapesbench_success"], 4)
    write_json(out / SUMMARY_JSON, summary)
    (out / SUMMARY_CSV).write_text(csv_text(rows))
    sheet_max = int(getattr(settings, "sheet_max", 100))
    if sheet_max > 0:
        write_contact_sheet(out, job_ids[:sheet_max], records, total=len(job_ids))
    return summary


def write_contact_sheet(out: Path, job_ids: list[str], records: dict, total: int | None = None) -> Path:
    """``contact_sheet.png``: before | after of ``job_ids`` (drag points drawn), four pairs a row."""
    from .thumbs import contact_sheet, pair_picture

    try:
        jobs = {f"{j['category']}/{j['sample']}": j for j in json.loads((out / BATCH_NAME).read_text())["jobs"]}
    except (OSError, ValueError, KeyError, TypeError):
        jobs = {}
    pictures = [pair_picture(job_folder(out, j), jobs.get(j), records.get(j)) for j in job_ids]
    shown = f"{len(job_ids)} of {total}" if total and total > len(job_ids) else f"{len(job_ids)}"
    sheet = contact_sheet(pictures, columns=4, title=f"{shown} jobs: before (handle red -> target blue) | after "
                                                     f"(yellow: where the handle was found)")
    path = out / SHEET_NAME
    sheet.save(path)
    return path
