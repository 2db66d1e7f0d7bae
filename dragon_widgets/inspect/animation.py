"""An edit's sampler steps as an animation for slides: GIF (Pillow) or MP4 (H.264, the ffmpeg of imageio-ffmpeg).

>>> import dragon_widgets as dw
>>> res = editor.edit(src, edit, record=True)               # or the editor app's trace: app.result.trace
>>> dw.save_animation(res.trace, "steps.gif")                # the format follows the suffix
>>> dw.save_animation(res.trace, "steps.mp4", fps=6)         # plays in PowerPoint, Keynote and browsers

Each frame shows, at one step: x̂₀ with the masks and drag arrows; the same x̂₀ in grey under the gradient of the
update, whose opacity grows with |g| (grey = no update there); and the energy curves with a cursor at the step.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..core.trace import APPLIED
from ._steps import get_step, step_image, step_label
from .colors import MASK_COLORS
from .gradients import gradient_label, gradient_map, gradient_terms
from .style import PRESENTER, use_style

__all__ = ["ANIMATION_FORMATS", "animation_frames", "save_animation"]

ANIMATION_FORMATS = ("gif", "mp4")
_MP4_HINT = ("saving an .mp4 needs the ffmpeg that the imageio-ffmpeg package ships: "
             "pip install \"dragon_widgets[export]\" (or pip install imageio-ffmpeg); a .gif needs nothing more")


def _check_size(size: Any) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in size)
    except (TypeError, ValueError):
        raise TypeError(f"size must be (width, height) in pixels, got {size!r}") from None
    if not (320 <= w <= 3840 and 180 <= h <= 2160):
        raise ValueError(f"size must be between 320×180 and 3840×2160 pixels, got {size!r}")
    return w, h


def _pick_term(trace: Any, term: str | None) -> str | None:
    have = gradient_terms(trace)
    if term is not None:
        if term not in have:
            raise ValueError(f"term {term!r} has no recorded gradient; recorded: {have}")
        return term
    return next((t for t in (APPLIED, "edit") if t in have), have[0] if have else None)


def _steps(trace: Any, steps: Sequence[int] | None) -> list[int]:
    if steps is None:
        return list(range(len(trace.steps)))
    out = []
    for k in steps:
        get_step(trace, k)  # a clear error for a bad index
        out.append(int(k) % len(trace.steps))
    if not out:
        raise ValueError("steps is empty: pass indices into trace.steps, or None for every step")
    return out


_UPSCALE_TO = 360  # panels are composited in numpy at about this many pixels per side, then drawn once


def _compose(img: np.ndarray, grad: np.ndarray | None, outlines: list[tuple[np.ndarray, tuple[int, int, int]]],
             scale: int, overlay: bool) -> np.ndarray:
    """One panel as uint8 RGB at ``scale``× the working size: x̂₀ (or, with ``overlay``, x̂₀ in grey under |g| in
    inferno colours whose opacity grows with |g|: grey where there is no update), mask outlines painted on top."""
    import matplotlib

    from ._arrays import upsample_nearest

    H, W = img.shape[:2]
    size = (W * scale, H * scale)
    base = upsample_nearest(np.asarray(img, np.uint8), size).astype(np.float32)
    if overlay:
        lum = base @ np.array([0.299, 0.587, 0.114], np.float32)
        base = np.repeat((lum * 0.8 + 25)[..., None], 3, axis=2)
        if grad is not None and np.any(grad > 0):
            v = upsample_nearest(np.asarray(grad, np.float32) / float(grad.max()), size)
            heat = matplotlib.colormaps["inferno"](0.35 + 0.65 * v)[..., :3].astype(np.float32) * 255
            a = (np.clip(v, 0, 1) * 0.9)[..., None]
            base = base * (1 - a) + heat * a
    out = np.clip(base, 0, 255).astype(np.uint8)
    for edge, color in outlines:  # boundary cells of the mask at the working size, scaled like the image
        out[upsample_nearest(edge, size)] = color
    return out


def animation_frames(trace: Any, size: tuple[int, int] = (1280, 720), term: str | None = None,
                     steps: Sequence[int] | None = None) -> Iterator[np.ndarray]:
    """The frames of :func:`save_animation` as uint8 (H, W, 3) arrays, one per entry of ``trace.steps`` (or of
    ``steps``, indices into it). ``term``: whose gradient is shown (default: the applied update, else E_edit's)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from . import plots
    from ._arrays import mask_outline

    if trace is None or not getattr(trace, "steps", None):
        raise ValueError("trace must be an EditTrace with steps; edit with record=True")
    W, H = _check_size(size)
    term = _pick_term(trace, term)
    ks = _steps(trace, steps)
    tsize = tuple(trace.size)
    scale = max(1, _UPSCALE_TO // max(tsize))
    outlines = [(mask_outline(np.asarray(trace.masks[n], bool)), MASK_COLORS.get(n, (255, 255, 255)))
                for n in plots.GRADIENT_MASKS if n in (trace.masks or {})]
    guided = [k for k, s in enumerate(trace.steps) if s.grads and term in s.grads]
    has_energy = any(s.energies for s in trace.steps)
    with use_style(PRESENTER) as st:
        fig = Figure(figsize=(W / 100, H / 100), dpi=100, layout="constrained")
        FigureCanvasAgg(fig)
        gs = fig.add_gridspec(2 if has_energy else 1, 2, height_ratios=[1.35, 1] if has_energy else None)
        ax_img, ax_grad = fig.add_subplot(gs[0, 0]), fig.add_subplot(gs[0, 1])
        ext = (0, tsize[0], tsize[1], 0)
        first = _compose(step_image(trace, ks[0]), None, outlines, scale, False)
        im_img = ax_img.imshow(first, interpolation="nearest", extent=ext)
        im_grad = ax_grad.imshow(first, interpolation="nearest", extent=ext)
        for ax in (ax_img, ax_grad):
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_xlim(0, tsize[0])
            ax.set_ylim(tsize[1], 0)
            ax.set_title("x̂₀ i=00 t=000 · guided\nmax 0.0e-00; opacity ∝ |g|", fontsize=st.title)
        plots._arrows(ax_img, trace)
        dynamic = [im_img, im_grad, ax_img.title, ax_grad.title]
        if has_energy:
            ax_e = fig.add_subplot(gs[1, :])
            plots.plot_energies(trace, ax=ax_e)
            cursor = ax_e.axvline(0, color="k", ls="--", lw=st.line * 0.6)
            series = plots._series(trace)
            x, (lo, hi) = series.positions, series.span()
            note = ax_e.annotate("cursor: step i=00 (no energies after i=00) →", xy=(1.0, 1.0), xycoords="axes fraction", xytext=(0, 3),
                                 textcoords="offset points", ha="right", va="bottom", fontsize=st.legend,
                                 color="0.25")
            dynamic += [cursor, note]
        # lay the figure out once with placeholder texts (their room is kept), then redraw only what changes per frame (blitting)
        fig.canvas.draw()
        fig.set_layout_engine("none")
        for a in dynamic:
            a.set_animated(True)
        fig.canvas.draw()
        background = fig.canvas.copy_from_bbox(fig.bbox)
        for k in ks:
            s = trace.steps[k]
            img = step_image(trace, k)
            im_img.set_data(_compose(img, None, outlines, scale, False))
            ax_img.set_title(f"x̂₀ {step_label(s)}" + (" · guided" if s.guided else ""), fontsize=st.title)
            before = [j for j in guided if j <= k]
            g = None
            if term is None:
                ax_grad.set_title("no gradient recorded", fontsize=st.title)
            elif before and k <= guided[-1]:
                j = before[-1]
                g = gradient_map(trace.steps[j], term)
                when = "" if j == k else f" (last: {step_label(trace.steps[j])})"
                ax_grad.set_title(f"{gradient_label(term)} over x̂₀{when}\nmax {g.max():.1e}; opacity ∝ |g|",
                                  fontsize=st.title)
            else:
                ax_grad.set_title("no update: " + ("guidance is over" if guided and k > guided[-1]
                                                   else "before the first guided step"), fontsize=st.title)
            im_grad.set_data(_compose(img, g, outlines, scale, True))
            if has_energy:
                past = x[k] > hi + 0.6
                cursor.set_xdata([hi + 0.6 if past else x[k]] * 2)
                note.set_text(f"cursor: step i={s.index} (no energies after i={int(hi)}) →" if past else "")
            fig.canvas.restore_region(background)
            for a in dynamic:
                fig.draw_artist(a)
            yield np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def save_animation(trace: Any, path: str | Path, fps: float = 4.0, size: tuple[int, int] = (1280, 720),
                   term: str | None = None, steps: Sequence[int] | None = None, hold_last: float = 2.0) -> Path:
    """Write the steps of ``trace`` as an animation; the format follows the suffix of ``path``:

    * ``.gif``: Pillow, loops forever; plays everywhere, larger files.
    * ``.mp4``: H.264 (main profile), yuv420p, even width and height, ``+faststart``: plays in PowerPoint,
      Keynote and browsers. Needs ``imageio-ffmpeg`` (``pip install "dragon_widgets[export]"``), whose package
      ships an ffmpeg binary; without it a ``ModuleNotFoundError`` says so.

    ``fps``: steps per second; ``size``: (width, height) pixels (a 16:9 slide by default; odd sides are rounded
    down to even for MP4); ``term``: whose gradient to overlay (default: the applied update); ``steps``: indices
    into ``trace.steps`` (default: all); ``hold_last``: seconds the last frame stays. Returns the path written.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in ANIMATION_FORMATS:
        raise ValueError(f"path must end in .gif or .mp4, got {str(path)!r}")
    if not (isinstance(fps, (int, float)) and 0.2 <= fps <= 60):
        raise ValueError(f"fps must be a number between 0.2 and 60, got {fps!r}")
    if not (isinstance(hold_last, (int, float)) and 0 <= hold_last <= 30):
        raise ValueError(f"hold_last must be between 0 and 30 seconds, got {hold_last!r}")
    w, h = _check_size(size)
    if fmt == "mp4":
        try:
            import imageio_ffmpeg
        except ImportError:
            raise ModuleNotFoundError(_MP4_HINT, name="imageio_ffmpeg") from None
        w, h = w - w % 2, h - h % 2
    frames = animation_frames(trace, (w, h), term, steps)
    path.parent.mkdir(parents=True, exist_ok=True)
    extra = int(round(hold_last * fps))
    if fmt == "gif":
        from PIL import Image

        images = [Image.fromarray(f).quantize(colors=255, method=Image.Quantize.FASTOCTREE) for f in frames]
        durations = [int(round(1000 / fps))] * len(images)
        durations[-1] += int(round(1000 * hold_last))
        images[0].save(path, save_all=True, append_images=images[1:], duration=durations, loop=0, optimize=True)
        return path
    writer = imageio_ffmpeg.write_frames(str(path), (w, h), fps=fps, codec="libx264", pix_fmt_out="yuv420p",
                                         macro_block_size=2, quality=8, ffmpeg_log_level="error",
                                         output_params=["-profile:v", "main", "-preset", "veryfast",
                                                        "-movflags", "+faststart"])
    writer.send(None)
    last = None
    try:
        for f in frames:
            last = np.ascontiguousarray(f)
            writer.send(last)
        for _ in range(extra):
            writer.send(last)
    finally:
        writer.close()
    return path
