"""Pictures of batch results (Pillow only): a job's before and after images, its drag points drawn on them, and
the contact sheet of a whole run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

from .results import EDIT_LOG_DIR, RESULT_NAME

HANDLE = (230, 40, 40)
TARGET = (40, 90, 230)
TRACKED = (250, 200, 0)


def before_image(result_folder: Path, job: dict | None) -> Image.Image | None:
    """The job's input: the edit log's ``input.png``, else the DragBench sample's original, else the job's own
    input read again (None when none can be read)."""
    p = Path(result_folder) / EDIT_LOG_DIR / "input.png"
    if p.is_file():
        return Image.open(p).convert("RGB")
    if job and job.get("source") == "dragbench":
        q = Path(job.get("origin", {}).get("folder", "")) / "original_image.png"
        if q.is_file():
            return Image.open(q).convert("RGB")
    if job:
        try:
            from .jobs import Job

            return Image.fromarray(Job.from_dict(job).prepare().image)
        except Exception:  # a job that cannot be read has no before image
            return None
    return None


def after_image(result_folder: Path) -> Image.Image | None:
    p = Path(result_folder) / RESULT_NAME
    return Image.open(p).convert("RGB") if p.is_file() else None


def scaled(img: Image.Image, side: int) -> tuple[Image.Image, float]:
    """``img`` fitted into ``side`` × ``side`` (small images enlarged with crisp pixels), and the factor."""
    k = side / max(img.size)
    size = (max(1, round(img.width * k)), max(1, round(img.height * k)))
    return img.resize(size, Image.NEAREST if k >= 1 else Image.LANCZOS), k


def draw_points(img: Image.Image, points: list, k: float = 1.0, tracked: list | None = None) -> Image.Image:
    """A copy of ``img`` with each handle (red) → target (blue) pair as an arrow, coordinates in pixels of the
    original image scaled by ``k``; ``tracked`` (optional): where each handle was found in the result (yellow)."""
    out = img.copy()
    d = ImageDraw.Draw(out)
    r = max(2, round(min(out.size) / 60))
    for (hx, hy), (tx, ty) in points or []:
        a = ((hx + 0.5) * k, (hy + 0.5) * k)
        b = ((tx + 0.5) * k, (ty + 0.5) * k)
        d.line([a, b], fill=(255, 255, 255), width=max(1, r // 2))
        d.ellipse([a[0] - r, a[1] - r, a[0] + r, a[1] + r], fill=HANDLE, outline=(255, 255, 255))
        d.ellipse([b[0] - r, b[1] - r, b[0] + r, b[1] + r], fill=TARGET, outline=(255, 255, 255))
    for x, y in tracked or []:
        c = (x * k, y * k)  # tracked positions are continuous (pixel i spans [i, i + 1))
        d.rectangle([c[0] - r, c[1] - r, c[0] + r, c[1] + r], outline=TRACKED, width=max(1, r // 2))
    return out


def tile(text: str, size: tuple[int, int], color: tuple[int, int, int] = (120, 120, 120)) -> Image.Image:
    """A plain tile with ``text`` (a job without an image)."""
    img = Image.new("RGB", size, color)
    ImageDraw.Draw(img).text((6, size[1] // 2 - 6), text[:28], fill=(255, 255, 255))
    return img


def pair_picture(result_folder: Path, job: dict | None, record: dict | None, side: int = 160) -> Image.Image:
    """Before (with the drag points) | after (with the targets and the tracked handles) of one job, each fitted
    into ``side`` px, with the job id and its status under them."""
    before = before_image(result_folder, job)
    after = after_image(result_folder)
    points = (record or {}).get("points") or []
    tracked = [d.get("tracked") for d in ((record or {}).get("metrics") or {}).get("drag") or [] if d.get("tracked")]
    cells = []
    for img, pts, tr, missing in ((before, points, None, "no input"),
                                  (after, points, tracked, (record or {}).get("status") or "not run")):
        if img is None:
            cells.append(tile(missing, (side, side), (170, 40, 40) if missing == "failed" else (120, 120, 120)))
            continue
        small, k = scaled(img, side)
        canvas = Image.new("RGB", (side, side), (255, 255, 255))
        canvas.paste(draw_points(small, pts, k, tr), ((side - small.width) // 2, (side - small.height) // 2))
        cells.append(canvas)
    label_h = 14
    out = Image.new("RGB", (2 * side + 4, side + label_h), (255, 255, 255))
    out.paste(cells[0], (0, 0))
    out.paste(cells[1], (side + 4, 0))
    job_id = f"{job['category']}/{job['sample']}" if job else "?"
    status = (record or {}).get("status") or "missing"
    ImageDraw.Draw(out).text((2, side + 1), f"{job_id} [{status}]"[:48],
                             fill=(0, 0, 0) if status == "done" else (180, 0, 0))
    return out


def contact_sheet(pictures: list[Image.Image], columns: int = 4, title: str = "") -> Image.Image:
    """``pictures`` (equal sizes) in a grid of ``columns``, with an optional title line on top."""
    if not pictures:
        raise ValueError("contact_sheet needs at least one picture")
    w, h = pictures[0].size
    columns = max(1, min(columns, len(pictures)))
    rows = -(-len(pictures) // columns)
    top = 18 if title else 0
    sheet = Image.new("RGB", (columns * (w + 8) + 8, rows * (h + 8) + 8 + top), (235, 235, 235))
    if title:
        ImageDraw.Draw(sheet).text((8, 4), title, fill=(0, 0, 0))
    for i, pic in enumerate(pictures):
        r, c = divmod(i, columns)
        sheet.paste(pic, (8 + c * (w + 8), 8 + top + r * (h + 8)))
    return sheet


def as_png(img: Any) -> bytes:
    """PNG bytes of a PIL image or uint8 array."""
    import io

    im = img if isinstance(img, Image.Image) else Image.fromarray(np.asarray(img))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()
