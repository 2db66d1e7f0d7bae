"""The result check (:func:`dragon_widgets.engine.metrics.measure_edit`) in plain words, torch-free: the editor
app's metrics line and ``dragon-widgets demo`` print it."""

from __future__ import annotations

import math


def invented_count(metrics: dict | None) -> int:
    """How many regions outside the edit changed strongly (0 without metrics)."""
    return int((metrics or {}).get("invented_regions") or 0)


def result_check_text(metrics: dict | None, boxes_note: str = "") -> str:
    """The result check of :func:`measure_edit` in plain words ("" without metrics), as the editor app's metrics
    line and ``dragon-widgets demo`` say it: what changed outside the edit first (where: ``boxes_note``, else the
    boxes [x0, y0, x1, y1]), then the background PSNR and, for drags, the tracked handle distance."""
    if not metrics:
        return ""
    if "error" in metrics:
        return f"Metrics unavailable: {metrics['error']}"
    parts = []
    n = invented_count(metrics)
    if n:
        where_boxes = boxes_note or "at " + ", ".join(str(b) for b in metrics.get("invented_boxes") or [])
        parts.append(f"Warning: {n} region{'s' if n > 1 else ''} outside the edit changed strongly (an invented or "
                     f"damaged object? {where_boxes})")
    elif "invented_regions" in metrics:
        parts.append("Nothing outside the edit changed strongly")
    psnr = metrics.get("background_psnr")
    where = ("outside the default drag region" if metrics.get("measured_outside") == "default drag region"
             else "outside the edit")
    if psnr is None:
        parts.append("Background: not measured (the edit may change the whole image)")
    elif math.isinf(psnr):
        parts.append(f"Background {where}: unchanged")
    else:
        share = 100 * (1 - metrics.get("edited_fraction", 0.0))
        parts.append(f"Background {where} ({share:.0f} % of the image): PSNR {psnr:.1f} dB")
    rows = metrics.get("drag") or []
    if rows:
        before = sum(r["before"] for r in rows) / len(rows)
        after = sum(r["after"] for r in rows) / len(rows)
        mean = f" (mean of {len(rows)})" if len(rows) > 1 else ""
        parts.append(f"tracked handle → target{mean}: {before:.1f} px before, {after:.1f} px after")
    return " · ".join(parts)
