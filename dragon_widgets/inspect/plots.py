"""Static matplotlib figures of every inspection panel, for slides, papers and front ends without widgets.

All functions return a ``matplotlib.figure.Figure`` built without pyplot (no global state; call
``fig.savefig(...)`` or let Jupyter's inline backend display it). ``step`` arguments index ``trace.steps``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.trace import APPLIED
from ._arrays import Point, downsample_mask, mask_outline
from ._steps import get_step, recorded_step, step_image, step_label
from .attention import group_names, query_attention
from .bank import bank_share_series, image_difference
from .colors import MASK_COLORS, term_color
from .correspondence import correspondence_grid
from .energy import EnergySeries, energy_series
from .matches import match_lines, side_by_side
from .gradients import gradient_direction, gradient_label, gradient_map, gradient_terms, push_label
from .recorded import trace_features
from .tracks import handle_tracks


def _figure(ncols: int, nrows: int, cell: float = 2.2, extra_w: float = 0.0):
    from matplotlib.figure import Figure

    return Figure(figsize=(cell * ncols + extra_w, cell * nrows + 0.4), layout="constrained")


def _extent(image: np.ndarray, size: tuple[int, int] | None = None) -> tuple[float, float, float, float]:
    """imshow extent putting pixel (col, row) on [col, col+1] × [row, row+1] of image coordinates, as the widgets
    draw it (``size`` (W, H) when the image is shown at another resolution than its coordinates)."""
    W, H = size if size is not None else (image.shape[1], image.shape[0])
    return (0, W, H, 0)


def _show(ax, image: np.ndarray, title: str | None = None, size: tuple[int, int] | None = None) -> None:
    ext = _extent(image, size)
    ax.imshow(image, interpolation="nearest", extent=ext)
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        ax.set_title(title, fontsize=8)


def _outline(ax, mask: np.ndarray, color, size: tuple[int, int]) -> None:
    """The mask's boundary cells over an image of ``size`` (W, H), the cells the widget panels fill
    (``ImageCanvas.draw_outline``), so the static figure and the widget show the outline in the same place."""
    edge = mask_outline(np.asarray(mask, dtype=bool))
    if edge.any():
        rgba = np.zeros(edge.shape + (4,), dtype=float)
        rgba[edge] = (*(np.asarray(color[:3], dtype=float) / 255.0), 0.9)
        ax.imshow(rgba, interpolation="nearest", extent=_extent(edge, size))


def _heat(ax, image: np.ndarray, values: np.ndarray, cmap: str, vmin=None, vmax=None, alpha: float = 0.65,
          size: tuple[int, int] | None = None):
    _show(ax, image, size=size)
    return ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha, interpolation="nearest",
                     extent=_extent(image, size))


def plot_correspondence(image_a: np.ndarray, image_b: np.ndarray, features_a: Mapping[Hashable, Any],
                        features_b: Mapping[Hashable, Any], point: Point, keys: Sequence[Hashable] | None = None,
                        title_a: str = "A", title_b: str = "B", match_timestep: int | None = None,
                        image_b_at_match: np.ndarray | None = None):
    """Layer × timestep grid of cosine-similarity heatmaps over image B for the query ``point`` of image A.

    ``features_*`` map ``(layer, timestep)`` to (C, h, w) maps (from :class:`FeatureExtractor` or
    :func:`trace_features`); the best match of each map is marked with a cross. A bottom row shows A and B
    side by side with a line from the query to each layer's best match at ``match_timestep`` (default: the
    first timestep shown; ``image_b_at_match`` is B's picture at that step, e.g. its x̂₀).
    """
    a, b = np.asarray(image_a), np.asarray(image_b)
    size_a, size_b = (a.shape[1], a.shape[0]), (b.shape[1], b.shape[0])
    res = correspondence_grid(features_a, features_b, point, size_a, size_b, list(keys) if keys else None)
    layers = list(dict.fromkeys(k[0] for k in res))
    times = list(dict.fromkeys(k[1] for k in res))
    fig = _figure(len(times) + 1, len(layers) + 1, extra_w=0.6)
    gs = fig.add_gridspec(len(layers) + 1, len(times) + 1)
    ax_a = fig.add_subplot(gs[:-1, 0])
    _show(ax_a, a, f"{title_a}: query {tuple(int(v) for v in point)}")
    ax_a.plot([point[0]], [point[1]], marker="o", mfc="none", mec="red", ms=10, mew=2)
    im = None
    for r, layer in enumerate(layers):
        for c, t in enumerate(times):
            ax = fig.add_subplot(gs[r, c + 1])
            if (layer, t) not in res:
                ax.axis("off")
                continue
            cr = res[(layer, t)]
            im = _heat(ax, b, cr.similarity, "magma", -1.0, 1.0)
            ax.plot([cr.match[0]], [cr.match[1]], marker="x", color="cyan", ms=9, mew=2)
            ax.set_title(f"{title_b} {layer} t={t}\nbest {cr.score:.2f}", fontsize=7)
    if im is not None:
        fig.colorbar(im, ax=fig.axes[1:], shrink=0.7, label="cosine similarity")
    if times:
        t = times[0] if match_timestep is None else match_timestep
        pair = side_by_side(a, b if image_b_at_match is None else image_b_at_match)
        ax = fig.add_subplot(gs[-1, :])
        _show(ax, pair.image, f"{title_a} → {title_b}: best match per layer at t={t}")
        for ln in match_lines(pair, point, res, layers, t):
            ax.plot([ln.start[0], ln.end[0]], [ln.start[1], ln.end[1]], "-o", color=ln.color, ms=3, lw=1.5,
                    label=f"{ln.key[0]} ({ln.score:.2f})")
        ax.plot([point[0]], [point[1]], marker="o", mfc="none", mec="red", ms=10, mew=2)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=6, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def plot_trace_correspondence(trace: Any, point: Point, layers: Sequence[str] | None = None,
                              timesteps: Sequence[int] | None = None, max_columns: int = 4):
    """The correspondence grid on a live edit: original-branch features at ``point`` vs the edited branch.

    Without ``timesteps``, an even spread of ``max_columns`` recorded timesteps is shown.
    """
    ref, cur = trace_features(trace, "reference"), trace_features(trace, "current")
    if timesteps is None:
        recorded = sorted({k[1] for k in ref}, reverse=True)
        pick = np.linspace(0, len(recorded) - 1, min(max_columns, len(recorded))).round().astype(int)
        timesteps = [recorded[i] for i in pick]
    keys = [k for k in ref if (layers is None or k[0] in layers) and (timesteps is None or k[1] in timesteps)]
    if not keys:
        raise ValueError(f"no recorded features for layers={layers} timesteps={timesteps}")
    return plot_correspondence(trace.original, trace.result, ref, cur, point, keys, "original", "edited")


def plot_energies(trace_or_series: Any, step: int | None = None, ax=None):
    """Each energy term per guidance evaluation; time-travel rounds shaded, guided steps ticked.

    ``step`` (index into ``trace.steps``) draws a cursor; ``ax`` draws into an existing Axes.
    """
    s: EnergySeries = trace_or_series if isinstance(trace_or_series, EnergySeries) else energy_series(trace_or_series)
    fig = _figure(3, 1, cell=2.6) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    x = np.arange(len(s.index))
    for k, term in enumerate(s.terms):
        y = s.values[k]
        ok = ~np.isnan(y)
        ax.plot(x[ok], y[ok], marker=".", color=term_color(term, k), label=term)
    for a, b in s.time_travel_spans():
        ax.axvspan(a - 0.5, b + 0.5, color="orange", alpha=0.15, lw=0)
    ax.plot(x[s.guided], np.zeros(int(s.guided.sum())), "|", color="k", ms=6, transform=ax.get_xaxis_transform(),
            label="guided step")
    ticks = x[:: max(1, len(x) // 10)]
    ax.set_xticks(ticks, [str(s.index[t]) for t in ticks])
    ax.set_xlabel("sampler step i (execution order; shaded = time-travel rounds)")
    if step is not None:
        ax.axvline(int(step) % len(x), color="k", ls="--", lw=1)
    ax.set_ylabel("w·E")
    ax.legend(fontsize=7, ncols=2)
    return fig


def _masks_on(ax, trace: Any) -> None:
    for name, m in (trace.masks or {}).items():
        _outline(ax, m, MASK_COLORS.get(name, (255, 255, 255)), tuple(trace.size))


def _arrows(ax, trace: Any) -> None:
    for (x0, y0), (x1, y1) in trace.points or []:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), arrowprops=dict(arrowstyle="->", color="white", lw=1.5))
        ax.plot([x0], [y0], "o", color="red", ms=4)
        ax.plot([x1], [y1], "o", color="dodgerblue", ms=4)


def plot_gradients(trace: Any, step: int, terms: Sequence[str] | None = None, direction: bool = False):
    """|∂E/∂z_t| of each term at one step over x̂₀, edit masks outlined; ``"applied"`` is the update g the sampler
    applied (the sum of the terms' maps; the only one in the editor app's default trace). ``terms`` defaults to
    every recorded one (:func:`gradient_terms`).

    With ``direction=True`` a second row shows the signed push (:func:`gradient_direction`).
    """
    s = get_step(trace, step)
    if not s.grads:
        raise ValueError(f"step {step} ({step_label(s)}) has no recorded gradients; pick a guided step")
    asked = list(terms or gradient_terms(trace))
    terms = [t for t in asked if t in s.grads]
    if not terms:
        raise ValueError(f"terms {asked} have no gradient map at step {step}; recorded: {list(s.grads)}")
    img = step_image(trace, step)
    size = tuple(trace.size)
    rows = 2 if direction else 1
    fig = _figure(len(terms), rows)
    for c, term in enumerate(terms):
        ax = fig.add_subplot(rows, len(terms), c + 1)
        g = gradient_map(s, term)
        im = _heat(ax, img, np.where(g > 0, g, np.nan), "inferno", 0.0, float(g.max()) or 1.0, size=size)
        _masks_on(ax, trace)
        ax.set_title(f"{gradient_label(term)} {step_label(s)}\nmax {g.max():.2e}", fontsize=7)
        fig.colorbar(im, ax=ax, shrink=0.7)
        if direction and s.grad_latents and term in s.grad_latents:
            ax2 = fig.add_subplot(rows, len(terms), len(terms) + c + 1)
            d = gradient_direction(s, term)
            lim = float(np.abs(d).max()) or 1.0
            im2 = _heat(ax2, img, np.where(d != 0, d, np.nan), "coolwarm", -lim, lim, alpha=0.75, size=size)
            _masks_on(ax2, trace)
            _arrows(ax2, trace)
            ax2.set_title(push_label(term), fontsize=7)
            fig.colorbar(im2, ax=ax2, shrink=0.7)
    if direction:
        fig.suptitle("bottom: signed push along the dominant latent direction (red adds, blue removes)", fontsize=8)
    return fig


def plot_attention(trace: Any, step: int, layer: str, point: Point, heads: bool = False):
    """Memory-bank attention of the query pixel ``point`` at one bank layer and step, one map per token group
    (the mean over heads; ``heads=True``: one map per head and group)."""
    s = get_step(trace, step)
    if not s.attention or layer not in s.attention:
        raise ValueError(f"no attention recorded for layer {layer!r} at step {step}; "
                         f"recorded: {list(s.attention or {})}")
    am = query_attention(s.attention[layer], point, tuple(trace.size))
    groups = am.maps.shape[0]
    names = group_names(groups)
    img = step_image(trace, step)
    if groups and heads:
        n_heads = am.per_head.shape[0]
        maps = am.per_head.reshape(n_heads, groups, *am.maps.shape[1:])
        panels = [(maps[hd, g], names[g], f"head {hd} · ") for hd in range(n_heads) for g in range(groups)]
    else:
        panels = [(am.maps[g], names[g], "") for g in range(groups)]
    fig = _figure(max(len(panels), 1) + 1, 1, extra_w=0.6)
    ax = fig.add_subplot(1, max(len(panels), 1) + 1, 1)
    _show(ax, img, f"query {tuple(int(v) for v in point)} {step_label(s)}", size=tuple(trace.size))
    ax.plot([point[0]], [point[1]], marker="o", mfc="none", mec="red", ms=10, mew=2)
    if not panels:  # masked bank selection (bg+fg): no grid to lay the weights on
        ax = fig.add_subplot(1, 2, 2)
        ax.plot(np.sort(am.weights)[::-1], color="k")
        ax.set_title(f"{am.weights.size} bank tokens (masked selection), sorted\n{layer}", fontsize=6)
        ax.set_ylabel("attention weight")
        return fig
    vmax = float(max(m.max() for m, _, _ in panels))
    for c, (values, name, prefix) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels) + 1, c + 2)
        under = trace.original if name == "bank" else img  # as the AttentionPanel widget draws it
        im = _heat(ax, np.asarray(under), values, "viridis", 0.0, vmax, size=tuple(trace.size))
        ax.set_title(f"{prefix}{name} tokens ({values.sum():.0%})\n{layer}", fontsize=6)
    fig.colorbar(im, ax=fig.axes[1:], shrink=0.7, label="attention weight")
    return fig


def plot_bank_share(trace: Any, query_mask: np.ndarray, key_mask: np.ndarray | None = None,
                    layers: Sequence[str] | None = None, key_group: int = -1):
    """Per bank layer, over the steps: the share of attention that the queries in ``query_mask`` (solid, one
    line per head) and the other queries (dashed) give to the bank tokens in ``key_mask``; dotted: the share
    under uniform attention. See :func:`dragon_widgets.inspect.bank_share_series`."""
    layers = list(layers) if layers else list(trace.bank_layers)
    series = [bank_share_series(trace, layer, query_mask, key_mask, key_group) for layer in layers]
    fig = _figure(min(len(series), 3), (len(series) + 2) // 3, cell=2.6)
    axes = fig.subplots((len(series) + 2) // 3, min(len(series), 3), sharey=True, squeeze=False).ravel()
    for ax, sr in zip(axes, series):
        x = np.arange(len(sr.steps))
        for hd in range(sr.inside.shape[1]):
            color = f"C{hd}"
            ax.plot(x, sr.inside[:, hd], "-", color=color, lw=1.2, label=f"head {hd}: queries in region")
            ax.plot(x, sr.outside[:, hd], "--", color=color, lw=0.8, label=f"head {hd}: other queries")
        ax.axhline(sr.uniform, color="grey", ls=":", lw=1, label="uniform attention")
        ticks = x[:: max(1, len(x) // 5)]
        ax.set_xticks(ticks, [str(sr.index[t]) for t in ticks], fontsize=6)
        ax.tick_params(labelsize=6)
        short = sr.layer.replace(".transformer_blocks.0.attn1", "").replace("attentions.", "attn ")
        ax.set_title(short, fontsize=7)
        ax.set_xlabel("sampler step i", fontsize=6)
    for ax in axes[len(series):]:
        ax.axis("off")
    axes[0].set_ylabel("attention share on the key region", fontsize=7)
    axes[0].legend(fontsize=5, loc="upper left")
    return fig


def plot_difference(a: np.ndarray, b: np.ndarray, title_a: str = "A", title_b: str = "B",
                    outline: Mapping[str, np.ndarray] | None = None):
    """``a``, ``b`` and their per-pixel difference (:func:`image_difference`, grey levels), with the masks of
    ``outline`` (name → bool mask; colours as in the other figures, white for other names) on the difference."""
    diff = image_difference(a, b)
    fig = _figure(3, 1, cell=2.4, extra_w=0.6)
    for c, (img, title) in enumerate([(a, title_a), (b, title_b)]):
        _show(fig.add_subplot(1, 3, c + 1), np.asarray(img), title)
    ax = fig.add_subplot(1, 3, 3)
    im = ax.imshow(diff, cmap="magma", vmin=0.0, vmax=max(float(diff.max()), 1.0), interpolation="nearest",
                   extent=_extent(diff))
    ax.set_xticks([])
    ax.set_yticks([])
    size = (diff.shape[1], diff.shape[0])
    for name, m in (outline or {}).items():
        _outline(ax, m, MASK_COLORS.get(name, (255, 255, 255)), size)
    ax.set_title(f"|{title_a} − {title_b}| (mean {diff.mean():.1f}, max {diff.max():.0f})", fontsize=7)
    fig.colorbar(im, ax=ax, shrink=0.7, label="grey levels")
    return fig


def plot_step(trace: Any, step: int, show_tracks: bool = True, ax=None):
    """x̂₀ at one step with the masks outlined, drag arrows, and (if recorded) each handle's track so far."""
    s = get_step(trace, step)
    img = step_image(trace, step)
    fig = _figure(1, 1, cell=3.2) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    _show(ax, img, f"x̂₀ {step_label(s)}" + (" guided" if s.guided else ""), size=tuple(trace.size))
    _masks_on(ax, trace)
    _arrows(ax, trace)
    if show_tracks and trace.points and any(st.features for st in trace.steps):
        ks, tr = handle_tracks(trace)
        upto = [n for n, k in enumerate(ks) if k <= int(step) % len(trace.steps)]
        if upto:
            for p in range(tr.shape[1]):
                ax.plot(tr[upto, p, 0], tr[upto, p, 1], "-", color="lime", lw=1)
                ax.plot(tr[upto[-1], p, 0], tr[upto[-1], p, 1], "s", mfc="none", mec="lime", ms=7)
    W, H = tuple(trace.size)
    ax.set_xlim(0, W)
    ax.set_ylim(H, 0)
    return fig


def plot_overview(trace: Any, step: int = -1):
    """One figure of the inspector at a step: x̂₀ with masks and tracks, energy curves, and the gradient map of the
    last guided step so far (else of the first guided step after it, as the gradient panel shows): |∂E_edit/∂z|
    when per-term gradients were recorded, else the applied update |g|.

    This is what the inspector app shows where a front end cannot display widgets.
    """
    k = int(step) % len(trace.steps)
    fig = _figure(3, 1, cell=3.0, extra_w=1.5)
    gs = fig.add_gridspec(1, 4)
    plot_step(trace, k, ax=fig.add_subplot(gs[0, 0]))
    has_energy = any(st.energies for st in trace.steps)
    if has_energy:
        plot_energies(trace, step=k, ax=fig.add_subplot(gs[0, 1:3]))
    j = recorded_step(trace, k, "grads")
    if j is not None:
        st = trace.steps[j]
        term = next((t for t in ("edit", APPLIED) if t in st.grads), next(iter(st.grads)))
        ax = fig.add_subplot(gs[0, 3])
        img = step_image(trace, j)
        g = gradient_map(st, term)
        _heat(ax, img, np.where(g > 0, g, np.nan), "inferno", 0.0, float(g.max()) or 1.0, size=tuple(trace.size))
        _masks_on(ax, trace)
        ax.set_title(f"{gradient_label(term)} {step_label(st)}", fontsize=8)
    return fig


def edit_mask_on_grid(trace: Any, grid: tuple[int, int]) -> np.ndarray | None:
    """The trace's edit mask as latent cells (for checking gradient regions); None without one."""
    m = (trace.masks or {}).get("edit")
    return None if m is None else downsample_mask(m, grid)
