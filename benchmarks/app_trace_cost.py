"""Benchmark: what the editor app adds to every run — its trace (energies, previews, gradients) and the in-line
metrics (background PSNR, DIFT-style handle tracking) — on the embedded model.

    python benchmarks/app_trace_cost.py [--level light|gradients|full] [--repeats 3] [--threads 1] [--device cpu]
    python benchmarks/app_trace_cost.py --record energies,attention --edits move   # any trace categories

Runs one move and one drag of the built-in scene through the app's own calls
(``dragon_widgets.widgets._inspect_tab.edit_with_trace`` at a trace level of the app's Advanced panel, and
``measure``), with the trace off and on, interleaved,
and prints the medians as a Markdown table for benchmarks/RESULTS.md, with the trace's size (the bytes its arrays
hold, as in recording_cost.py). Times are the process's CPU seconds
(``time.process_time``): with ``--threads 1`` on a shared machine they do not count the time other jobs held
the cores, unlike wall-clock time (use ``--wall`` for wall-clock, e.g. on a GPU).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from datetime import datetime, timezone


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0 = torch's default)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--random-init", action="store_true", help="the embedded architecture with random weights")
    ap.add_argument("--wall", action="store_true", help="wall-clock seconds instead of CPU seconds")
    ap.add_argument("--level", default="light", help="the app's trace level: light, gradients or full")
    ap.add_argument("--record", default="", help="comma-separated trace categories instead of a level")
    ap.add_argument("--edits", default="move,drag", help="comma-separated: move, drag")
    args = ap.parse_args(argv)
    import numpy as np
    import torch

    import dragon_widgets as dw
    from dragon_widgets.widgets import _inspect_tab
    from dragon_widgets.widgets._scene import builtin_scene, builtin_shape_masks

    if args.threads:
        torch.set_num_threads(args.threads)
    if args.random_init:
        from dragon_widgets.models.random_sd import random_embedded_pipeline

        pipe, model = random_embedded_pipeline(0).to(args.device), "embedded architecture, random weights"
    else:
        pipe, model = dw.load_pipeline(device=args.device), "embedded"
    editor = dw.DragonEditor(pipe)
    img, caption = builtin_scene()
    src = editor.invert(np.asarray(img), prompt=caption)
    m = builtin_shape_masks()[0]
    ys, xs = np.nonzero(m)
    edits = {"move": dw.Move(mask=m, offset=(6.0, 4.0)),
             "drag": dw.Drag(points=[((float(xs.max()), float(ys[xs.argmax()])),
                                      (float(xs.max()) + 6, float(ys[xs.argmax()])))])}

    clock = time.perf_counter if args.wall else time.process_time

    from recording_cost import trace_nbytes

    sizes: dict[str, int] = {}

    def once(edit, trace: bool) -> tuple[float, float]:
        t0 = clock()
        if trace and not args.record:
            res = _inspect_tab.edit_with_trace(editor, src, edit, seed=0, level=args.level)
        elif trace:
            res = editor.edit(src, edit, seed=0, record=record)
        else:
            res = editor.edit(src, edit, seed=0)
        t1 = clock()
        if trace:
            sizes[edit.mode] = trace_nbytes(res.trace)
        _inspect_tab.measure(editor, res)
        return t1 - t0, clock() - t1

    edits = {k: edits[k] for k in args.edits.split(",")}
    record = frozenset(args.record.split(",")) if args.record else _inspect_tab.RECORD_LEVELS[args.level]
    for edit in edits.values():
        once(edit, False)  # warm-up
    rows = []
    for name, edit in edits.items():
        off, on, metrics = [], [], []
        for _ in range(args.repeats):
            a, _m = once(edit, False)
            b, c = once(edit, True)
            off.append(a), on.append(b), metrics.append(c)
        rows.append((name, statistics.median(off), statistics.median(on), statistics.median(metrics),
                     sizes[edit.mode] / 1e6))
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    unit = "wall-clock s" if args.wall else "CPU s"
    print(f"Run {when} on {platform.machine()} {platform.processor() or ''}, torch threads "
          f"{torch.get_num_threads()}, device {args.device}, model: {model}, {args.repeats} repeats "
          f"(medians, {unit}), trace: {sorted(record)}.\n")
    print(f"| edit | no trace ({unit}) | app trace ({unit}) | trace adds | metrics ({unit}) | trace + metrics add "
          f"| trace size (MB) |")
    print("|---|---|---|---|---|---|---|")
    for name, off, on, met, mb in rows:
        print(f"| {name} | {off:.2f} | {on:.2f} | {100 * (on / off - 1):+.0f} % | {met:.2f} | "
              f"{100 * ((on + met) / off - 1):+.0f} % | {mb:.2f} |")


if __name__ == "__main__":
    main()
