"""ShapesBench: the method (engine, ``embedded`` preset) vs the naive copy-paste + DDIM baseline.

    python benchmarks/shapesbench.py                       # test split, 20 tasks per kind, everything
    python benchmarks/shapesbench.py --split test shifted --store results/v2   # both splits; results saved
    python benchmarks/shapesbench.py --split test-v1 shifted --store results/v1 --stored-only   # re-score saved
    python benchmarks/shapesbench.py --split tuning --n 10 --kinds move drag
    python benchmarks/shapesbench.py --set move.guidance_scale=2 --set drag.w_edit=6   # preset variants (tuning)
    python benchmarks/shapesbench.py --json results.json --markdown benchmarks/RESULTS.md
    python benchmarks/shapesbench.py --split tuning --n 10 --sweep move.w_edit=2,4,8   # tune one value at a time

Prints a Markdown table per split (per task kind: success rate, mean IoU, shape fidelity, share of edits
with an invented object, share with the other objects intact, ghost %, background PSNR, drag point
distance start→end, seconds per edit), the DDIM inversion PSNR on the split's scenes and the caption-sample
check. See ``dragon_widgets/bench/metrics.py`` for the definitions and ``dragon_widgets/bench/tasks.py``
for the splits (tune on ``tuning`` only; report ``test`` and ``shifted``; ``test-v1`` is the first
model's test split).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def _parse_set(items: list[str]):
    """['move.guidance_scale=2', 'num_steps=30'] → [(mode | None, key, value)]."""
    out = []
    for it in items:
        key, _, val = it.partition("=")
        try:
            v = json.loads(val)
        except json.JSONDecodeError:
            v = val
        if isinstance(v, list):
            v = tuple(v)
        mode, _, k = key.rpartition(".")
        out.append((mode or None, k, v))
    return out


def main(argv: list[str] | None = None) -> dict:
    from dragon_widgets.bench.runner import DRAG_REGIONS
    from dragon_widgets.bench.tasks import SPLITS

    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--split", nargs="+", choices=list(SPLITS), default=["test"],
                   help="one or more splits (a sweep uses the first)")
    p.add_argument("--store", default=None,
                   help="folder of result images: saved results are scored instead of edited again, new ones saved "
                        "(one folder per model and preset)")
    p.add_argument("--stored-only", action="store_true", help="with --store: score only the saved results")
    p.add_argument("--n", type=int, default=20, help="tasks per kind")
    p.add_argument("--kinds", nargs="+", default=None, help="subset of move resize drag drag-far paste appearance")
    p.add_argument("--json", default=None, help="write the full report (per-task scores) here")
    p.add_argument("--markdown", action="append", default=[],
                   help="put the tables between the <!-- shapesbench:begin/end --> markers of this Markdown file "
                        "(repeatable; the rest of the file is kept)")
    p.add_argument("--drag-region", choices=DRAG_REGIONS, default="object",
                   help="editable region drags get: around the dragged corner (local) or the whole object")
    p.add_argument("--images", default=None, help="folder for PNG grids per kind (source | truth | method | baseline)")
    p.add_argument("--model", default=None, help="pipeline folder / hub id (default: the embedded model)")
    p.add_argument("--random-weights", action="store_true", help="untrained components (smoke test only)")
    p.add_argument("--preset", default="embedded")
    p.add_argument("--set", action="append", default=[], metavar="[MODE.]KEY=VALUE",
                   help="override a preset value, e.g. move.w_edit=6 or num_steps=30 (repeatable)")
    p.add_argument("--sweep", action="append", default=[], metavar="[MODE.]KEY=V1,V2,...",
                   help="method only: run each value (one key at a time, on top of --set) and print a comparison; "
                        "MODE restricts the tasks to that mode's kinds")
    p.add_argument("--steps", type=int, default=None, help="DDIM steps for baseline/inversion (default: preset's)")
    p.add_argument("--no-method", action="store_true", help="baseline only (no engine needed)")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--inversion", type=int, default=50, help="scenes for the inversion PSNR (0 = skip)")
    p.add_argument("--roundtrip", type=int, default=20,
                   help="scenes (and as many object-free backgrounds) for the round-trip check: reconstruct(invert(x)) "
                        "PSNR and invented objects (0 = skip)")
    p.add_argument("--captions", type=int, default=64, help="caption samples (0 = skip)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)

    import torch

    from dragon_widgets.bench import runner
    from dragon_widgets.bench.tasks import KINDS

    torch.set_num_threads(a.threads)
    kinds = tuple(a.kinds) if a.kinds else KINDS
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        p.error(f"unknown kinds {bad}; choose from {KINDS}")
    t0 = time.perf_counter()
    pipe = runner.load_pipe(a.model, random_weights=a.random_weights)
    preset = None
    if not a.no_method:
        import dragon_widgets as dw

        preset = dw.get_preset(a.preset)
        for mode, key, val in _parse_set(a.set):
            preset = preset.with_mode(mode, **{key: val}) if mode else preset.replace(**{key: val})
    log = None if a.quiet else (lambda s: print(s, file=sys.stderr, flush=True))
    if a.sweep:
        if a.no_method:
            p.error("--sweep varies the method's preset; drop --no-method")
        variants, own_kinds = {"base": preset}, {}
        for spec in a.sweep:
            key, _, vals = spec.partition("=")
            for v in vals.split(","):
                (mode, k, val), = _parse_set([f"{key}={v}"])
                variants[f"{key}={v}"] = preset.with_mode(mode, **{k: val}) if mode else preset.replace(**{k: val})
                own_kinds[f"{key}={v}"] = tuple(x for x in kinds if x in (runner.MODE_KINDS.get(mode, kinds)
                                                                          if mode else kinds))
        skinds = tuple(k for k in kinds if any(k in own for own in own_kinds.values()))
        result = runner.sweep(pipe, variants, split=a.split[0], n=a.n, kinds=skinds, progress=log,
                              drag_region=a.drag_region, variant_kinds=own_kinds)
        text = f"ShapesBench sweep — split {a.split[0]}, {a.n} tasks per kind\n\n" + runner.format_sweep(result, skinds)
        print(text)
        if a.json:
            Path(a.json).write_text(json.dumps(dict(sweep=a.sweep, set=a.set, drag_region=a.drag_region, results=result), indent=1, default=float))
        return result
    if a.stored_only and not a.store:
        p.error("--stored-only needs --store")
    reports = []
    for split in a.split:
        images = None if a.images is None else str(Path(a.images) / split) if len(a.split) > 1 else a.images
        reports.append(runner.benchmark(
            pipe, split=split, n=a.n, kinds=kinds, preset=preset, baseline=not a.no_baseline, method=not a.no_method,
            inversion=a.inversion, captions=a.captions, steps=a.steps, progress=log, images=images,
            drag_region=a.drag_region, store=a.store, stored_only=a.stored_only, roundtrip=a.roundtrip))
    config = dict(argv=sys.argv[1:] if argv is None else argv, model=a.model or "embedded",
                  random_weights=a.random_weights, threads=a.threads, overrides=a.set,
                  machine=f"{platform.machine()} {platform.processor() or ''}".strip(),
                  torch=torch.__version__, wall_s=round(time.perf_counter() - t0, 1))
    for r in reports:
        r["config"] = config
    text = "\n\n".join(runner.format_report(r) for r in reports)
    print(text)
    out = reports[0] if len(reports) == 1 else dict(reports=reports)
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1, default=float))
    if a.markdown:
        block = (f"Command: `python benchmarks/shapesbench.py {' '.join(config['argv'])}` "
                 f"({a.threads} CPU threads, {config['machine']}, torch {torch.__version__}, "
                 f"{config['wall_s']} s in all)\n\n{text}\n")
        for md in a.markdown:
            write_block(Path(md), block)
    return out


BEGIN, END = "<!-- shapesbench:begin -->", "<!-- shapesbench:end -->"


def write_block(path: Path, block: str) -> None:
    """Put ``block`` between the shapesbench marker lines of ``path`` (README.md, RESULTS.md, ...).

    Markers count only on lines of their own. The rest of the file is kept; a file without markers gets
    the block appended, a new file gets a title.
    """
    import re

    new = f"{BEGIN}\n{block.rstrip()}\n{END}"
    if path.exists():
        text = path.read_text()
        # markers count only on lines of their own (prose may quote them)
        pat = re.compile(rf"^{re.escape(BEGIN)}[ \t]*$.*?^{re.escape(END)}[ \t]*$", re.S | re.M)
        if pat.search(text):
            text = pat.sub(lambda _: new, text, count=1)
        else:
            text = text.rstrip() + "\n\n" + new + "\n"
    else:
        text = f"# ShapesBench results\n\n{new}\n"
    path.write_text(text)


if __name__ == "__main__":
    main()
