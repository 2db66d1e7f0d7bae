"""Batch runner and DragBench figures on this machine: the embedded model's Mean Distance / Image Fidelity on a
ShapesBench export in DragBench's layout, and the runner's throughput with 1 and 2 processes.

    python benchmarks/batch_dragbench.py --n 8 --work /tmp/batch-bench [--lpips-weights DIR]

Steps (each one a command a user would type, run as a subprocess):

1. ``python -m dragon_widgets.batch export-shapesbench DATA --n N`` (drag and drag-far, test split);
2. ``python -m dragon_widgets.batch run DATA --out RUN1`` on one process, then the same under
   ``torchrun --standalone --nproc_per_node 2`` into RUN2 (throughput: jobs per minute of wall time, model loading
   excluded; both with the default per-job metrics);
3. ``python -m dragon_widgets.batch eval DATA RESULTS --json --dift-model embedded`` on RUN1, on the unedited
   images (what doing nothing scores) and on the ground-truth images (what a perfect edit scores).

Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def sh(cmd: list[str], env: dict) -> str:
    print("$", " ".join(cmd), file=sys.stderr, flush=True)
    r = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"command failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return r.stdout


def copy_as_results(data: Path, out: Path, name: str) -> None:
    """``name`` (original_image.png or target_image.png) of every sample as its dragged_image.png."""
    for src in data.glob(f"*/*/{name}"):
        dst = out / src.parent.parent.name / src.parent.name
        dst.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dst / "dragged_image.png")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=8, help="tasks per drag kind (default 8)")
    ap.add_argument("--work", default="/tmp/batch-bench")
    ap.add_argument("--lpips-weights", default=None)
    ap.add_argument("--skip-two", action="store_true", help="skip the 2-process run")
    ap.add_argument("--resume", action="store_true", help="keep WORK's export and finished jobs (an interrupted run "
                                                          "goes on; its throughput counts the jobs run now)")
    a = ap.parse_args()
    work = Path(a.work)
    if not a.resume:
        shutil.rmtree(work, ignore_errors=True)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    py = [sys.executable, "-m", "dragon_widgets.batch"]
    data = work / "data"
    if not data.is_dir():
        sh(py + ["export-shapesbench", str(data), "--n", str(a.n)], env)
    runs = {}
    for procs in (1, 2):
        if procs == 2 and a.skip_two:
            continue
        out = work / f"run{procs}"
        launcher = py if procs == 1 else [str(Path(sys.executable).with_name("torchrun")), "--standalone",
                                          "--nproc_per_node", "2", "-m", "dragon_widgets.batch"]
        t0 = time.perf_counter()
        sh(launcher + ["run", str(data), "--out", str(out), "--no-progress"], env)
        wall = time.perf_counter() - t0
        s = json.loads((out / "summary.json").read_text())
        runs[procs] = dict(wall=wall, **s["this_run"], done=s["done"], failed=s["failed"],
                           load=max(p["load_seconds"] for p in s["this_run"]["per_process"]))
    copy_as_results(data, work / "noop", "original_image.png")
    copy_as_results(data, work / "truth", "target_image.png")
    lp = ["--lpips-weights", a.lpips_weights] if a.lpips_weights else []
    evals = {name: json.loads(sh(py + ["eval", str(data), str(work / folder), "--json", "--dift-model", "embedded",
                                       "--output", str(work / f"eval-{folder}.json")] + lp, env))
             for name, folder in (("method", "run1"), ("unedited", "noop"), ("ground truth", "truth"))}

    def f(v, fmt="{:.2f}"):
        return "–" if v is None else fmt.format(v)

    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}; "
          f"date {time.strftime('%Y-%m-%d')}; {2 * a.n} ShapesBench test drags ({a.n} drag + {a.n} drag-far)\n")
    print("| results scored | MD (px) | IF (1 − LPIPS) | samples | points |\n|---|---:|---:|---:|---:|")
    for name, r in evals.items():
        print(f"| {name} | {f(r['mean_distance'])} | {f(r['image_fidelity'], '{:.3f}')} | {r['n_samples']} | "
              f"{r['n_points']} |")
    for name, r in evals.items():
        for c, d in r["categories"].items():
            print(f"  {name} / {c}: MD {f(d['mean_distance'])} px on {d['n_samples']} samples")
    notes = {n for r in evals.values() for n in r["notes"]}
    for n in notes:
        print(f"note: {n}")
    print("\n| processes | jobs | done | failed | wall s (run) | jobs/min | model load s | wall s (command) |\n"
          "|---:|---:|---:|---:|---:|---:|---:|---:|")
    for procs, r in runs.items():
        print(f"| {procs} | {r['jobs_run']} | {r['done']} | {r['failed']} | {r['wall_seconds']:.0f} | "
              f"{f(r['jobs_per_minute'])} | {r['load']:.0f} | {r['wall']:.0f} |")


if __name__ == "__main__":
    main()
