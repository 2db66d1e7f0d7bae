"""Benchmark: edit time with trace recording off vs on (per recorded category and all), and trace size.

    python benchmarks/recording_cost.py                 # embedded model
    python benchmarks/recording_cost.py --random-init   # same architecture, random weights (no trained model needed)

Edits one drag on the same inverted source --repeats times per setting (settings interleaved) and prints
the medians as a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import datetime, timezone

import numpy as np

SETTINGS = [("off", None), ("energies", {"energies"}), ("gradients", {"gradients"}), ("previews", {"previews"}),
            ("features", {"features"}), ("attention", {"attention"}), ("all (record=True)", True)]


def trace_nbytes(trace) -> int:
    """Bytes held by a trace's arrays (steps, masks, images); an array shared by several steps counts once."""
    if trace is None:
        return 0
    seen: set[int] = set()

    def size(x) -> int:
        if isinstance(x, dict):
            return sum(size(v) for v in x.values())
        if id(x) in seen:
            return 0
        seen.add(id(x))
        return int(getattr(x, "nbytes", 0) or (x.numel() * x.element_size() if hasattr(x, "numel") else 0))

    total = size(trace.masks) + size(trace.original) + size(trace.result)
    for s in trace.steps:
        total += sum(size(getattr(s, f)) for f in ("grads", "grad_latents", "features", "attention"))
        total += size(s.x0) if s.x0 is not None else 0
    return total


def pipeline(random_init: bool, device: str):
    import dragon_widgets as dw
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    if not random_init:
        return dw.load_pipeline(device=device), "embedded"
    return random_embedded_pipeline(0).to(device), "embedded architecture, random weights"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--random-init", action="store_true", help="random weights instead of the trained embedded model")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--device", default="cpu", help="torch device of the pipeline (cpu, cuda)")
    args = ap.parse_args(argv)
    import torch

    import dragon_widgets as dw

    if args.threads:
        torch.set_num_threads(args.threads)
    pipe, model = pipeline(args.random_init, args.device)
    editor = dw.DragonEditor(pipe)
    img = np.zeros((64, 64, 3), np.uint8)
    img[:] = (30, 60, 200)
    img[20:36, 12:28] = (220, 30, 30)
    src = editor.invert(img, prompt="a red square on a blue background")
    mask = np.zeros((64, 64), bool)
    mask[8:48, 4:52] = True
    edit = dw.Drag(points=[((20, 28), (36, 28))], mask=mask)
    editor.edit(src, edit, seed=0)  # warm-up
    # Round-robin over the settings so a change in machine load hits every setting alike.
    times: dict[str, list[float]] = {name: [] for name, _ in SETTINGS}
    sizes: dict[str, int] = {}
    for rep in range(args.repeats):
        for name, record in SETTINGS:
            t0 = time.perf_counter()
            res = editor.edit(src, edit, seed=0, record=record)
            times[name].append(time.perf_counter() - t0)
            sizes[name] = trace_nbytes(res.trace)
            print(f"repeat {rep + 1}/{args.repeats} recording {name:>18}: {times[name][-1]:6.2f} s", flush=True)
    rows = [(name, statistics.median(times[name]), sizes[name]) for name, _ in SETTINGS]
    base = rows[0][1]
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    where = torch.cuda.get_device_name() if args.device.startswith("cuda") else \
        f"CPU {platform.machine()}, {torch.get_num_threads()} torch threads"
    print(f"\n### Recording cost ({model}; {where}; {when})\n")
    print("| record | edit time (s) | vs off | trace size (MB) |\n|---|---|---|---|")
    for name, t, nb in rows:
        print(f"| {name} | {t:.2f} | {t / base:.2f}× | {nb / 1e6:.2f} |")


if __name__ == "__main__":
    main()
