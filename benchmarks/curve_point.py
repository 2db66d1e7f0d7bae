"""Score one checkpoint of an embedded-model training run: one point of its learning curve.

    python benchmarks/curve_point.py --model runs/v3/export --cpu-hours 4.1 --curve runs/v3/curve.json \\
        [--n 20] [--roundtrip 20] [--captions 32] [--store runs/v3/results]

On ShapesBench's ``tuning`` split (the split presets are tuned on; held-out figures come from ``test`` and
``shifted`` with ``benchmarks/shapesbench.py``): the round trip on scenes and their object-free backgrounds
(``dragon_widgets.bench.roundtrip``), the method's success, invented-object share, shape fidelity and bystanders
per edit kind (``n`` tasks each), and the caption-sample check. Appends one JSON row to ``--curve`` (the model card
plots the curve from it: ``python -m dragon_widgets.models.model_card --curve``) and prints it.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT, ROOT / "benchmarks"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))


def score_point(model: str, n: int = 20, roundtrip: int = 20, captions: int = 32, preset=None, store=None,
                progress=None) -> dict:
    """The curve row of the pipeline folder ``model`` (see the module docstring)."""
    import dragon_widgets as dw
    from dragon_widgets.bench import runner
    from dragon_widgets.bench.roundtrip import roundtrip_check

    pipe = runner.load_pipe(model)
    editor = dw.DragonEditor(pipe, preset)
    t0 = time.perf_counter()
    rt = roundtrip_check(editor, roundtrip, "tuning") if roundtrip else None
    report = runner.benchmark(pipe, split="tuning", n=n, preset=editor.preset, baseline=False, inversion=0,
                              captions=captions, roundtrip=0, progress=progress, editor=editor, store=store)
    summary = report["runs"]["method"]["summary"]
    state_file = Path(model) / "training_state.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    row = dict(model=str(model), step=state.get("steps"), minutes=state.get("minutes"), n=n,
               kinds={k: dict(success=v["success"], invented_rate=v["invented_rate"], shape_ok=v["fidelity_ok"],
                              bystanders_intact=v["bystanders_intact"], iou=v["iou"], md_start=v["md_start"],
                              md_end=v["md_end"])
                      for k, v in summary.items()},
               wall_s=round(time.perf_counter() - t0, 1))
    edits = [s for s in report["runs"]["method"]["scores"]]
    row["invented_rate"] = sum(s["invented"] > 0 for s in edits) / max(1, len(edits))
    if rt is not None:
        row["roundtrip"] = {k: {m: rt[k][m] for m in ("min", "mean", "invented", "n")} for k in ("scenes", "backgrounds")}
        row["roundtrip"]["passed"] = rt["passed"]
    if "captions" in report:
        row["captions_complete"] = report["captions"]["all_present"]
    return row


def main(argv: list[str] | None = None) -> dict:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="an exported pipeline folder (training_state.json inside)")
    p.add_argument("--curve", required=True, help="JSON file of curve rows (a list); the row is appended")
    p.add_argument("--cpu-hours", type=float, required=True, help="training CPU-hours (wall hours × threads) so far")
    p.add_argument("--n", type=int, default=20, help="tuning tasks per edit kind")
    p.add_argument("--roundtrip", type=int, default=20, help="scenes (and backgrounds) for the round trip (0 = skip)")
    p.add_argument("--captions", type=int, default=32, help="caption samples (0 = skip)")
    p.add_argument("--store", default=None, help="folder for the edited images (a rerun scores them again)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--label", default="", help="a short label of the point (e.g. the recipe)")
    p.add_argument("--set", action="append", default=[], metavar="[MODE.]KEY=VALUE",
                   help="override a value of the embedded preset for every point of a curve alike, e.g. "
                        "inversion_refine=3 (repeatable; recorded in the row)")
    a = p.parse_args(argv)
    import torch

    import dragon_widgets as dw
    from shapesbench import _parse_set

    torch.set_num_threads(a.threads)
    preset = dw.get_preset("embedded")
    for mode, key, val in _parse_set(a.set):
        preset = preset.with_mode(mode, **{key: val}) if mode else preset.replace(**{key: val})
    row = dict(label=a.label, cpu_hours=a.cpu_hours, date=time.strftime("%Y-%m-%d"), overrides=a.set,
               **score_point(a.model, a.n, a.roundtrip, a.captions, preset=preset, store=a.store,
                             progress=lambda s: print(s, file=sys.stderr, flush=True)))
    path = Path(a.curve)
    rows = json.loads(path.read_text()) if path.exists() else []
    rows.append(row)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, indent=1, default=float))
    print(json.dumps(row, default=float))
    return row


if __name__ == "__main__":
    main()
