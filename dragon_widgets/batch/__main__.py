"""``python -m dragon_widgets.batch``: run a job list, evaluate DragBench-layout results, export ShapesBench drags.

    python -m dragon_widgets.batch run JOBS --out DIR [--model M] [--preset NAME|FILE.json] [--set KEY=VALUE]...
    python -m dragon_widgets.batch eval DATA RESULTS [--json] [--dift-model M] [--lpips-weights DIR] [--clip]
    python -m dragon_widgets.batch export-shapesbench OUT [--split test] [--n 10] [--kinds drag,drag-far]

``run`` shards its jobs when launched by ``torchrun`` or ``accelerate launch`` (see docs/batch.md). Mistakes in the
command line or its files are one ``error: …`` line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..core.command_line import USAGE_EXIT, UsageError
from ..core.command_line import Parser as _Parser


def _setting(text: str) -> tuple[str, object]:
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE (e.g. num_steps=20 or drag.w_edit=6), got {text!r}")
    key, value = text.split("=", 1)
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = value
    return key.strip(), parsed


def _positive(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a number >= 1, got {n}")
    return n


def build_parser() -> _Parser:
    p = _Parser(prog="python -m dragon_widgets.batch", description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    r = sub.add_parser("run", help="run a job list into a result folder (resumable; shards under torchrun/accelerate)")
    r.add_argument("jobs", metavar="JOBS", help="a DragBench root, shapesbench:SPLIT[:KINDS[:N]], a folder of saved "
                                                "edits (edit.json) or a .jsonl file of edit dicts")
    r.add_argument("--out", required=True, help="result folder (DragBench layout: <out>/<category>/<sample>/)")
    r.add_argument("--model", default="embedded", help="'embedded' (default), a hub id or a local diffusers folder")
    r.add_argument("--preset", default=None, help="a preset name (embedded, sd15, sdxl) or a preset JSON file; "
                                                  "default: each job's own preset, else the model's")
    r.add_argument("--set", dest="changes", action="append", type=_setting, default=[], metavar="KEY=VALUE",
                   help="change a preset value, e.g. --set num_steps=20 --set drag.w_edit=6 (JSON values)")
    r.add_argument("--seed", type=int, default=None, help="seed of every job (default: the job's own, else 0)")
    r.add_argument("--dtype", choices=("float32", "float16", "bfloat16"), default=None,
                   help="model dtype (default: float16 on CUDA, float32 on the CPU)")
    r.add_argument("--cpu", action="store_true", help="run on the CPU even where CUDA is available")
    r.add_argument("--no-metrics", action="store_true", help="skip the per-job metrics (background PSNR, drag "
                                                              "distances)")
    r.add_argument("--retry-failed", action="store_true", help="run failed jobs again (finished ones are kept)")
    r.add_argument("--limit", type=_positive, default=None, help="only the first N jobs of the list")
    r.add_argument("--no-progress", action="store_true", help="no progress bar")
    r.add_argument("--sheet-max", type=int, default=100, help="jobs on the contact sheet (0: none)")

    e = sub.add_parser("eval", help="Mean Distance and Image Fidelity of DragBench-layout results")
    e.add_argument("data", metavar="DATA", help="the DragBench root (original images, meta_data.pkl)")
    e.add_argument("results", metavar="RESULTS", help="results in the same layout (<category>/<sample>/"
                                                      "dragged_image.png)")
    e.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    e.add_argument("--output", default=None, help="also write the JSON object to this file")
    e.add_argument("--dift-model", default=None, help="DIFT feature model: a hub id or folder (default "
                                                      "stabilityai/stable-diffusion-2-1), or 'embedded'")
    e.add_argument("--dift-t", type=int, default=None, help="DIFT timestep (default 261)")
    e.add_argument("--dift-layer", default=None, help="DIFT decoder block (default up_blocks.1)")
    e.add_argument("--dift-ensemble", type=_positive, default=None, help="noised copies averaged (default 8)")
    e.add_argument("--seed", type=int, default=0, help="seed of the DIFT noise (default 0)")
    e.add_argument("--device", default=None, help="device of the DIFT/CLIP models (default: cuda if available)")
    e.add_argument("--lpips-weights", default=None, help="folder holding alexnet-owt-7be5be79.pth and alex.pth "
                                                         "(see docs/batch.md)")
    e.add_argument("--no-lpips", action="store_true", help="skip Image Fidelity")
    e.add_argument("--clip", action="store_true", help="also report CLIP image-image similarity")
    e.add_argument("--clip-model", default=None, help="CLIP model (default openai/clip-vit-base-patch32)")

    x = sub.add_parser("export-shapesbench", help="write ShapesBench drags in DragBench's layout (with ground truth)")
    x.add_argument("out", metavar="OUT")
    x.add_argument("--split", default="test")
    x.add_argument("--n", type=_positive, default=10, help="tasks per kind (default 10)")
    x.add_argument("--kinds", default="drag,drag-far", help="comma-separated drag kinds (default drag,drag-far)")
    x.add_argument("--prompt", choices=("caption", "empty"), default="caption",
                   help="each sample's prompt: the scene's caption (default) or empty")
    return p


def _cmd_run(args) -> int:
    from .distributed import processes
    from .jobs import load_jobs
    from .runner import RunSettings, run_batch

    preset = args.preset
    if preset is not None and (preset.endswith(".json") or Path(preset).is_file()):
        try:
            preset = json.loads(Path(preset).read_text())
        except (OSError, ValueError) as err:
            raise UsageError(f"--preset {args.preset!r}: cannot read it as a preset JSON file ({err})") from None
        if not isinstance(preset, dict):
            raise UsageError(f"--preset {args.preset!r} must hold a preset object (Preset.to_dict())")
    try:
        jobs = load_jobs(args.jobs)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if args.limit:
        jobs = jobs[: args.limit]
    settings = RunSettings(model=args.model, preset=preset, changes=dict(args.changes), seed=args.seed,
                           metrics=not args.no_metrics, retry_failed=args.retry_failed, progress=not args.no_progress,
                           dtype=args.dtype, cpu=True if args.cpu else None, sheet_max=args.sheet_max)
    try:  # the preset and its changes are checked before any model is loaded
        from ..engine.presets import get_preset
        from .runner import resolve_preset

        if isinstance(preset, (str, dict)) or settings.changes:
            resolve_preset(preset, "embedded" if args.model == "embedded" else "sd15", settings.changes)
        elif preset is not None:
            get_preset(preset)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    proc = processes(settings.cpu)
    try:
        summary = run_batch(jobs, args.out, settings, proc=proc)
    except ValueError as err:
        raise UsageError(str(err)) from None
    if summary is not None:
        t = summary["this_run"]
        rate = f", {t['jobs_per_minute']:.1f} jobs/min" if t["jobs_per_minute"] else ""
        print(f"{summary['done']} done, {summary['failed']} failed, {summary['missing']} missing of "
              f"{summary['jobs']} jobs ({t['jobs_run']} run now on {t['processes']} process(es){rate}); "
              f"summary in {Path(args.out) / 'summary.json'}")
    return 0


def _cmd_eval(args) -> int:
    from .evaluate import EvalSettings, evaluate, format_report

    s = EvalSettings(seed=args.seed, lpips=not args.no_lpips, lpips_weights=args.lpips_weights, clip=args.clip)
    for key, value in (("dift_model", args.dift_model), ("dift_t", args.dift_t), ("dift_layer", args.dift_layer),
                       ("dift_ensemble", args.dift_ensemble), ("clip_model", args.clip_model),
                       ("device", args.device)):
        if value is not None:
            setattr(s, key, value)
    try:
        report = evaluate(args.data, args.results, s, progress=lambda line: print(line, file=sys.stderr, flush=True))
    except ValueError as err:
        raise UsageError(str(err)) from None
    text = json.dumps(report, indent=1, allow_nan=False)
    if args.output:
        Path(args.output).write_text(text)
    print(text if args.json else format_report(report))
    return 0


def _cmd_export(args) -> int:
    from ..bench.dragbench import export_shapesbench

    try:
        folders = export_shapesbench(args.out, args.split, args.n, tuple(args.kinds.split(",")), args.prompt)
    except ValueError as err:
        raise UsageError(str(err)) from None
    print(f"wrote {len(folders)} samples to {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return {"run": _cmd_run, "eval": _cmd_eval, "export-shapesbench": _cmd_export}[args.command](args)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return USAGE_EXIT


if __name__ == "__main__":
    sys.exit(main())
