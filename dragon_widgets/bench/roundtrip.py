"""The round-trip check: does ``reconstruct(invert(x))`` give ``x`` back, on scenes and on their empty backgrounds?

Every edit starts from the inverted noise and its memory bank; if sampling that noise back without any edit
already changes the picture, every edit inherits the change. The check inverts and reconstructs ``n`` scenes of a
split and the same scenes with their objects removed (so a model that fills empty background with objects of its
own is caught), and reports per set:

* ``psnr``: min / mean / median PSNR (dB, capped at 60) of the reconstruction against the input;
* ``invented``: how many reconstructions have an invented object, i.e. a connected region of at least
  :data:`~.metrics.INVENT_MIN_PX` px whose colour moved by more than :data:`~.metrics.CHANGE_DE` ΔE from the input
  (the rule ShapesBench applies to edits, with nothing allowed to change);
* ``rows``: per scene, the PSNR and the number of invented regions.

:data:`TARGETS` are what a model and preset must reach (min ≥ 35 dB and no invented object on both sets); ``passed``
says whether they did.
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from .metrics import CHANGE_DE, INVENT_MIN_PX, psnr
from .scenes import render, to_uint8
from .segment import as_float, components, delta_e
from .tasks import inversion_scenes

#: What the round trip must reach on scenes and on their backgrounds.
TARGETS = {"min_psnr": 35.0, "invented": 0}
PSNR_CAP = 60.0


def invented_count(result, source) -> int:
    """Connected regions (≥ ``INVENT_MIN_PX`` px at 64², scaled with the area) whose colour moved by more than
    ``CHANGE_DE`` ΔE between ``source`` and ``result`` (both uint8 or float images of one size)."""
    a, b = as_float(result), as_float(source)
    changed = delta_e(a, b) > CHANGE_DE
    min_px = max(2, int(round(INVENT_MIN_PX * (a.shape[0] * a.shape[1]) / 64 ** 2)))
    return sum(1 for c in components(changed) if int(c.sum()) >= min_px)


def _stats(rows: list[dict]) -> dict:
    v = np.minimum([r["psnr"] for r in rows], PSNR_CAP)
    return dict(min=float(v.min()), mean=float(v.mean()), median=float(np.median(v)),
                invented=int(sum(r["invented"] > 0 for r in rows)), n=len(rows))


def roundtrip_check(editor, n: int = 20, split: str = "test", res: int = 64, backgrounds: bool = True) -> dict:
    """Invert and reconstruct ``n`` scenes of ``split`` (and their object-free backgrounds) with ``editor`` (its
    preset's inversion); see the module docstring for the report."""
    scenes = inversion_scenes(n, split)
    sets = {"scenes": scenes}
    if backgrounds:
        sets["backgrounds"] = [replace(s, shapes=[]) for s in scenes]
    out: dict = dict(split=split, n=n, refine=editor.preset.inversion_refine, preset=editor.preset.name)
    t0 = time.perf_counter()
    for name, group in sets.items():
        rows = []
        for i, sc in enumerate(group):
            img = to_uint8(render(sc, res)[0])
            rec = np.asarray(editor.reconstruct(editor.invert(img)))
            rows.append(dict(i=i, psnr=round(psnr(rec, img), 2), invented=invented_count(rec, img)))
        out[name] = dict(_stats(rows), rows=rows)
    out["seconds"] = time.perf_counter() - t0
    out["passed"] = all(out[k]["min"] >= TARGETS["min_psnr"] and out[k]["invented"] <= TARGETS["invented"]
                        for k in sets)
    return out


def format_roundtrip(report: dict) -> str:
    """One line per set: 'scenes: min 31.2 dB, mean 45.0 dB, 1 of 20 with an invented object'."""
    lines = [f"Round trip (reconstruct(invert(x)), split {report['split']}, preset {report['preset']}, "
             f"refine={report['refine']}): {'passed' if report['passed'] else 'NOT passed'} "
             f"(targets: min ≥ {TARGETS['min_psnr']:.0f} dB, no invented object)"]
    for name in ("scenes", "backgrounds"):
        if name in report:
            r = report[name]
            lines.append(f"- {name}: min {r['min']:.1f} dB, mean {r['mean']:.1f} dB, median {r['median']:.1f} dB; "
                         f"{r['invented']} of {r['n']} with an invented object")
    return "\n".join(lines)
