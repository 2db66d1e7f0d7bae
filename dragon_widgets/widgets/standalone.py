"""The inspector and the correspondence explorer as one self-contained HTML file: no kernel, no Python, no network.

>>> dw.InspectorApp(res.trace).save_html("inspect.html")             # scrubber, play, hover, all data inside
>>> dw.CorrespondenceExplorer.from_images(pipe, a, b).save_html("dift.html")

The page holds its data as one JSON block (arrays as base64 strings: a single file has no other place for bytes)
and the bundled ``static/standalone.js``, which draws every panel in the browser: x̂₀ per step, the energy curves
(the energy panel's own front end), the gradient maps (magnitude and signed push along the trace's one latent
direction), the correspondence heatmaps (cosine similarity computed in the browser from the embedded features as
the pointer moves) and the memory-bank attention (softmax(q·kᵀ/√d) computed in the browser). To keep the file a
size a laptop opens in a second, features and attention are embedded at an even spread of ``feature_steps`` /
``attention_steps`` steps (the page uses the nearest one and says so), features as unit vectors in 8 bits (cosine
similarities within about 0.01 of the exact ones) and attention queries/keys in float16, as recorded.
"""

from __future__ import annotations

import base64
import html
import io
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..inspect._arrays import as_feature_map, as_numpy, mask_outline
from ..inspect._steps import step_image, step_label
from ..inspect.colors import MASK_COLORS, term_color
from ..inspect.correspondence import FLAT_CONTRAST
from ..inspect.energy import ROUND_OFFSET, energy_series
from ..inspect.gradients import PUSH_MEANING, gradient_direction, gradient_map, gradient_terms, push_axis, push_share
from ..inspect.matches import layer_color
from ..inspect.recorded import trace_features
from ..inspect.style import NOTEBOOK, PRESENTER
from ._frontend import STATIC

__all__ = ["explorer_html", "inspector_html", "save_explorer_html", "save_inspector_html"]

#: A file above this many bytes gets a warning naming the options that shrink it.
LARGE_FILE = 40 * 1024 * 1024
#: The colour maps the page needs, as 256 RGB entries each.
COLORMAPS = ("inferno", "coolwarm", "magma", "viridis")
#: Masks the gradient panels outline (as the widgets and figures do).
GRADIENT_MASKS = ("edit", "source")


# ----- encoding --------------------------------------------------------------------------------------------
def _b64(arr: np.ndarray | bytes) -> str:
    data = arr if isinstance(arr, bytes) else np.ascontiguousarray(arr).tobytes()
    return base64.b64encode(data).decode("ascii")


def _image_url(rgb: np.ndarray) -> str:
    """A data URL of an RGB image: PNG up to 256 px a side, larger images as JPEG at most 512 px a side."""
    from PIL import Image

    img = Image.fromarray(np.asarray(rgb, dtype=np.uint8)[..., :3])
    buf = io.BytesIO()
    if max(img.size) <= 256:
        img.save(buf, format="PNG", optimize=True)
        return "data:image/png;base64," + _b64(buf.getvalue())
    img.thumbnail((512, 512), Image.Resampling.LANCZOS)
    img.save(buf, format="JPEG", quality=88)
    return "data:image/jpeg;base64," + _b64(buf.getvalue())


def _luts() -> dict[str, str]:
    import matplotlib

    return {name: _b64((matplotlib.colormaps[name](np.linspace(0, 1, 256))[:, :3] * 255 + 0.5).astype(np.uint8))
            for name in COLORMAPS}


def _unit_int8(features: Any) -> tuple[str, list[int]]:
    """A (C, h, w) map as base64 int8 unit vectors per position (what a cosine similarity needs) and its shape."""
    f = as_feature_map(features).astype(np.float32)
    norm = np.linalg.norm(f, axis=0, keepdims=True)
    q = np.round(f / np.maximum(norm, 1e-8) * 127).astype(np.int8)
    return _b64(q), [int(v) for v in f.shape]


def _mask_bits(mask: np.ndarray) -> str:
    return _b64(np.packbits(np.asarray(mask, dtype=bool).reshape(-1)))


def _spread(items: Sequence[Any], n: int | None) -> list[Any]:
    items = list(items)
    if n is None or len(items) <= n:
        return items
    if n < 1:
        return []
    idx = np.unique(np.linspace(0, len(items) - 1, n).round().astype(int))
    return [items[i] for i in idx]


def _check_count(name: str, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a whole number ≥ 0 or None (all), got {value!r}")
    return int(value)


def _bundle() -> str:
    path = STATIC / "standalone.js"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: the front end is not built. Run `npm ci && npm run build` in the "
                                f"source checkout, or install dragon_widgets from a wheel")
    return path.read_text(encoding="utf-8")


def _page(data: dict, title: str) -> str:
    """The HTML page: the data as JSON (``</`` escaped so it cannot end the script element) and the bundle."""
    payload = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    script = _bundle().replace("</script", "<\\/script")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{html.escape(title)}</title></head><body>"
            f"<div id=\"dw-root\"><noscript>This page needs JavaScript.</noscript></div>"
            f"<script type=\"application/json\" id=\"dw-data\">{payload}</script>"
            f"<script type=\"module\">{script}</script></body></html>\n")


def _write(text: str, path: str | Path, options: str) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".html", ".htm"):
        raise ValueError(f"path must end in .html, got {str(path)!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = text.encode("utf-8")
    path.write_bytes(raw)
    if len(raw) > LARGE_FILE:
        warnings.warn(f"{path} is {len(raw) / 2**20:.0f} MB; {options} make it smaller", stacklevel=3)
    return path


# ----- the correspondence part (shared by both pages) ---------------------------------------------------------
def _correspondence(features_a: dict, features_b: dict, layers: Sequence[str], timesteps: Sequence[int]) -> dict:
    feats = {}
    for layer in layers:
        for t in timesteps:
            if (layer, t) in features_a and (layer, t) in features_b:
                a, shape = _unit_int8(features_a[(layer, t)])
                b, shape_b = _unit_int8(features_b[(layer, t)])
                feats[f"{layer}|{t}"] = {"a": a, "b": b, "shape_a": shape, "shape_b": shape_b}
    return {"layers": list(layers), "timesteps": [int(t) for t in timesteps], "features": feats,
            "layer_colors": [layer_color(k) for k in range(len(layers))], "flat_contrast": FLAT_CONTRAST}


# ----- the inspector -----------------------------------------------------------------------------------------
def inspector_html(trace: Any, point: Sequence[float] | None = None, step: int | None = None,
                   presenter: bool = False, feature_steps: int | None = 12, attention_steps: int | None = 12,
                   attention_layers: Sequence[str] | None = None, title: str | None = None) -> str:
    """The HTML text of a standalone inspector for ``trace`` (see :func:`save_inspector_html`)."""
    from .. import __version__
    from ..inspect.plots import default_query, default_step
    from ..inspect.tracks import handle_tracks

    if trace is None or not getattr(trace, "steps", None):
        raise ValueError("trace must be an EditTrace with steps; edit with record=True")
    feature_steps = _check_count("feature_steps", feature_steps)
    attention_steps = _check_count("attention_steps", attention_steps)
    n = len(trace.steps)
    W, H = (int(v) for v in trace.size)
    start = default_step(trace) if step is None else int(step) % n
    # x̂₀ per step: one frame per step that has its own preview (others show the latest earlier one)
    frames, frame_of, last = [], [], None
    for k, s in enumerate(trace.steps):
        if s.x0 is not None or last is None:
            frames.append(_image_url(step_image(trace, k)))
            last = len(frames) - 1
        frame_of.append(last)
    steps = [{"i": int(s.index), "t": int(s.timestep), "round": int(s.round), "guided": bool(s.guided),
              "label": step_label(s), "frame": frame_of[k]} for k, s in enumerate(trace.steps)]
    masks = {name: {"bits": _mask_bits(mask_outline(np.asarray(m, dtype=bool))),
                    "color": list(MASK_COLORS.get(name, (255, 255, 255)))}
             for name, m in (trace.masks or {}).items()}
    points = [[float(h[0]), float(h[1]), float(t[0]), float(t[1])] for h, t in (trace.points or [])]
    data: dict[str, Any] = {
        "kind": "inspector", "version": __version__, "title": title or f"Inside one {trace.mode} edit",
        "presenter": bool(presenter), "size": [W, H], "steps": steps, "frames": frames, "step": start,
        "original": _image_url(np.asarray(trace.original)) if trace.original is not None else None,
        "masks": masks, "gradient_masks": list(GRADIENT_MASKS), "points": points, "luts": _luts(),
        "styles": {"notebook": _css_style(NOTEBOOK), "presenter": _css_style(PRESENTER)},
    }
    if trace.points and any(s.features for s in trace.steps):
        ks, tr = handle_tracks(trace)
        data["tracks"] = {"steps": [int(k) for k in ks], "xy": np.round(tr, 2).tolist()}
    if any(s.energies for s in trace.steps):
        es = energy_series(trace)
        data["energy"] = {"terms": list(es.terms), "colors": [term_color(t, k) for k, t in enumerate(es.terms)],
                          "values": _b64(np.ascontiguousarray(es.values, dtype=np.float32)),
                          "index": _b64(es.index.astype(np.int32)), "timestep": _b64(es.timestep.astype(np.int32)),
                          "round": _b64(es.round.astype(np.int32)), "guided": _b64(es.guided.astype(np.uint8)),
                          "round_offset": ROUND_OFFSET}
    terms = gradient_terms(trace)
    if terms:
        axis = push_axis(trace) if any(s.grad_latents for s in trace.steps) else None
        per_step = {}
        grid = None
        for k, s in enumerate(trace.steps):
            if not s.grads:
                continue
            maps = {}
            for term in terms:
                if term not in s.grads:
                    continue
                g = gradient_map(s, term)
                grid = [int(g.shape[1]), int(g.shape[0])]
                top = float(g.max())
                entry = {"mag": _b64(np.round(g / (top or 1.0) * 255).astype(np.uint8)), "mag_max": top}
                if axis is not None and s.grad_latents and term in s.grad_latents:
                    d = gradient_direction(s, term, axis=axis)
                    lim = float(np.abs(d).max()) or 1.0
                    entry.update({"dir": _b64(np.round(d / lim * 127).astype(np.int8)), "dir_lim": lim,
                                  "share": push_share(s, term, axis)})
                maps[term] = entry
            per_step[str(k)] = maps
        data["gradients"] = {"terms": terms, "grid": grid, "steps": per_step, "meaning": PUSH_MEANING,
                             "colors": {t: term_color(t, trace.terms.index(t)) for t in terms if t in trace.terms}}
    if any(s.features for s in trace.steps):
        ref, cur = trace_features(trace, "reference"), trace_features(trace, "current")
        layers = list(dict.fromkeys(k[0] for k in ref))
        recorded = sorted({k[1] for k in ref}, reverse=True)
        ts = _spread(recorded, feature_steps)
        corr = _correspondence(ref, cur, layers, ts)
        corr["frames"] = {str(t): frame_of[next(k for k, s in enumerate(trace.steps)
                                                if int(s.timestep) == t and s.round == 0)] for t in ts}
        corr["recorded"] = len(recorded)
        corr["point"] = list(point) if point is not None else list(default_query(trace, "source"))
        corr["titles"] = ["original", "edited x̂₀"]
        data["correspondence"] = corr
    att_steps = [k for k, s in enumerate(trace.steps) if s.attention]
    if att_steps:
        names: list[str] = []
        for k in att_steps:
            names += [nm for nm in trace.steps[k].attention if nm not in names]
        chosen = list(attention_layers) if attention_layers is not None else _default_attention_layers(trace, names)
        unknown = [nm for nm in chosen if nm not in names]
        if unknown:
            raise ValueError(f"attention_layers {unknown} were not recorded; recorded: {names}")
        picked = _spread(att_steps, attention_steps)
        records = {}
        for k in picked:
            for nm in chosen:
                rec = trace.steps[k].attention.get(nm)
                if rec is None:
                    continue
                q, kk = as_numpy(rec["q"], "q"), as_numpy(rec["k"], "k")
                records[f"{nm}|{k}"] = {"q": _b64(q.astype(np.float16)), "k": _b64(kk.astype(np.float16)),
                                        "n": int(q.shape[0]), "m": int(kk.shape[0]), "c": int(q.shape[1]),
                                        "heads": int(rec["heads"]), "grid": [int(v) for v in rec["grid"]]}
        if records and chosen:
            data["attention"] = {"layers": chosen, "steps": picked, "recorded_steps": len(att_steps),
                                 "records": records,
                                 "point": list(point) if point is not None else list(default_query(trace, "target"))}
    return _page(data, data["title"])


def save_inspector_html(trace: Any, path: str | Path, **options: Any) -> Path:
    """Write :func:`inspector_html` of ``trace`` to ``path`` (``.html``); returns the path.

    ``options``: ``point`` (the first query), ``step`` (where the scrubber starts; default the last guided step),
    ``presenter`` (open in presenter mode; the page has a toggle), ``feature_steps`` / ``attention_steps`` (how
    many steps of features and attention to embed, an even spread; None = all), ``attention_layers`` (which bank
    layers; default one per token-grid size, leaving out any whose queries and keys exceed 1 MB a step), ``title``.
    """
    return _write(inspector_html(trace, **options), path,
                  "fewer feature_steps / attention_steps or attention_layers=[one layer]")


# ----- the explorer ------------------------------------------------------------------------------------------
def explorer_html(explorer: Any, max_timesteps: int | None = 8, presenter: bool | None = None,
                  title: str | None = None) -> str:
    """The HTML text of a standalone correspondence explorer (see :func:`save_explorer_html`)."""
    from .. import __version__

    max_timesteps = _check_count("max_timesteps", max_timesteps)
    layers = list(explorer.layer_select.value) or list(explorer.layers)
    ts = _spread(explorer.all_timesteps, max_timesteps)
    corr = _correspondence(explorer.features_a, explorer.features_b, layers, ts)
    frames = [_image_url(explorer.image_b)]
    corr["frames"] = {}
    for t in ts:
        if t in explorer.images_b:
            frames.append(_image_url(explorer.images_b[t]))
            corr["frames"][str(t)] = len(frames) - 1
        else:
            corr["frames"][str(t)] = 0
    corr["recorded"] = len(explorer.all_timesteps)
    corr["point"] = [float(v) for v in explorer.point]
    corr["titles"] = list(explorer.titles)
    corr["shown"] = [int(t) for t in explorer.timesteps if t in ts] or ts[:1]
    style = explorer.style.name == "presenter" if presenter is None else bool(presenter)
    data = {"kind": "explorer", "version": __version__, "title": title or "Where does each layer match?",
            "presenter": style, "size": [int(explorer.size_a[0]), int(explorer.size_a[1])],
            "size_b": [int(explorer.size_b[0]), int(explorer.size_b[1])], "frames": frames,
            "original": _image_url(explorer.image_a), "luts": _luts(), "correspondence": corr,
            "styles": {"notebook": _css_style(NOTEBOOK), "presenter": _css_style(PRESENTER)}}
    return _page(data, data["title"])


def save_explorer_html(explorer: Any, path: str | Path, **options: Any) -> Path:
    """Write :func:`explorer_html` of a :class:`~dragon_widgets.widgets.panels.CorrespondenceExplorer` to ``path``.

    ``options``: ``max_timesteps`` (how many of its timesteps to embed, an even spread; None = all), ``presenter``
    (default: the explorer's own), ``title``. Hover image A to query; the page recomputes every heatmap and match
    line in the browser.
    """
    return _write(explorer_html(explorer, **options), path, "a smaller max_timesteps or fewer selected layers")


#: Layers whose queries and keys take more than this per step (float16) are left out unless named explicitly.
ATTENTION_LAYER_BYTES = 1 << 20


def _default_attention_layers(trace: Any, names: list[str]) -> list[str]:
    """The first recorded layer of each token-grid size whose q and k take at most :data:`ATTENTION_LAYER_BYTES` per
    step: one layer per resolution, the large SD grids left out."""
    first = next(s.attention for s in trace.steps if s.attention)
    out, grids = [], set()
    for name in names:
        rec = first.get(name)
        if rec is None:
            continue
        grid = tuple(int(v) for v in rec["grid"])
        size = (as_numpy(rec["q"]).shape[0] + as_numpy(rec["k"]).shape[0]) * as_numpy(rec["q"]).shape[1] * 2
        if grid not in grids and size <= ATTENTION_LAYER_BYTES:
            grids.add(grid)
            out.append(name)
    return out


def _css_style(style: Any) -> dict:
    return {"font": style.css_font, "line": style.css_line, "marker": style.css_marker, "display": style.display,
            "small": style.small_display, "energy": list(style.energy_size)}
