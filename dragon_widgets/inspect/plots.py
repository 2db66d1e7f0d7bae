"""Static matplotlib figures of every inspection panel, for slides, papers and front ends without widgets.

All functions return a ``matplotlib.figure.Figure`` built without pyplot (no global state; call
``fig.savefig(...)``, :func:`~dragon_widgets.inspect.save_slide` for a 16:9 slide, or let Jupyter's inline backend
display it). ``step`` arguments index ``trace.steps``. Fonts and marks follow the current style
(:func:`~dragon_widgets.inspect.presenter` for a lecture room).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np

from ..core.trace import APPLIED
from ._arrays import Point, downsample_mask, format_point, mask_outline
from ._steps import get_step, recorded_step, step_image, step_label
from .attention import group_names, query_attention
from .bank import bank_share_series, image_difference
from .colors import MASK_COLORS, term_color
from .correspondence import FLAT_CONTRAST, correspondence_grid
from .energy import EnergySeries, energy_series
from .matches import match_lines, side_by_side
from .gradients import (PUSH_MEANING, gradient_direction, gradient_label, gradient_map, gradient_terms, push_axis,
                        push_label, push_share)
from .recorded import trace_features
from .style import NOTEBOOK, Style, current_style
from .tracks import handle_tracks


def _style() -> Style:
    return current_style()


def _figure(ncols: int, nrows: int, cell: float | None = None, extra_w: float = 0.0, extra_h: float = 0.4):
    """A constrained-layout Figure of ``ncols`` × ``nrows`` panels of ``cell`` inches (the style's by default)."""
    from matplotlib.figure import Figure

    st = _style()
    c = st.cell if cell is None else cell * st.cell / NOTEBOOK.cell
    k = st.title / NOTEBOOK.title  # room for larger text
    return Figure(figsize=(c * ncols + extra_w * k, c * nrows + extra_h * k), layout="constrained")


def _extent(image: np.ndarray, size: tuple[int, int] | None = None) -> tuple[float, float, float, float]:
    """imshow extent putting pixel (col, row) on [col, col+1] × [row, row+1] of image coordinates, as the widgets
    draw it (``size`` (W, H) when the image is shown at another resolution than its coordinates)."""
    W, H = size if size is not None else (image.shape[1], image.shape[0])
    return (0, W, H, 0)


def _title(ax, text: str, color: str | None = None, size: float | None = None) -> None:
    ax.set_title(text, fontsize=size or _style().title, **({"color": color} if color else {}))


def _show(ax, image: np.ndarray, title: str | None = None, size: tuple[int, int] | None = None) -> None:
    ext = _extent(image, size)
    ax.imshow(image, interpolation="nearest", extent=ext)
    ax.set_xlim(ext[0], ext[1])
    ax.set_ylim(ext[2], ext[3])
    ax.set_xticks([])
    ax.set_yticks([])
    if title:
        _title(ax, title)


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
    """``values`` blended over ``image`` (every cell has a value: similarities, attention weights)."""
    _show(ax, image, size=size)
    return ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, alpha=alpha, interpolation="nearest",
                     extent=_extent(image, size))


def _field(ax, values: np.ndarray, cmap: str, vmin: float, vmax: float, size: tuple[int, int]):
    """``values`` drawn opaque over the whole panel, so a cell without gradient reads as the colour map's zero
    (black for magnitudes, grey for signed pushes), never as the image underneath."""
    ext = (0, size[0], size[1], 0)
    im = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest", extent=ext)
    ax.set_xlim(0, size[0])
    ax.set_ylim(size[1], 0)
    ax.set_xticks([])
    ax.set_yticks([])
    return im


def _colorbar(fig, im, ax, label: str | None = None):
    st = _style()
    cb = fig.colorbar(im, ax=ax, shrink=0.8)
    cb.ax.tick_params(labelsize=st.tick)
    if label:
        cb.set_label(label, fontsize=st.label)
    return cb


def _ring(ax, point: Point, color: str = "red", size: float | None = None) -> None:
    st = _style()
    ax.plot([point[0]], [point[1]], marker="o", mfc="none", mec=color, ms=size or st.marker * 1.8, mew=st.mark_width)


def plot_correspondence(image_a: np.ndarray, image_b: np.ndarray, features_a: Mapping[Hashable, Any],
                        features_b: Mapping[Hashable, Any], point: Point, keys: Sequence[Hashable] | None = None,
                        title_a: str = "A", title_b: str = "B", match_timestep: int | None = None,
                        image_b_at_match: np.ndarray | None = None, images_b: Mapping[int, np.ndarray] | None = None,
                        marks_b: Mapping[str, np.ndarray] | None = None, ring_query_on_b: bool = False):
    """Layer × timestep grid of cosine-similarity heatmaps over image B for the query ``point`` of image A.

    ``features_*`` map ``(layer, timestep)`` to (C, h, w) maps (from :class:`FeatureExtractor` or
    :func:`trace_features`); the best match of each map is marked with a cross. A *flat* map (its best similarity
    within :data:`~dragon_widgets.inspect.correspondence.FLAT_CONTRAST` of its median: nearly everything matches)
    is dimmed, gets no cross and says so in its title: its argmax means nothing. ``images_b`` gives B's picture
    per timestep to draw each column over (x̂₀ of that step on a live edit; default ``image_b`` everywhere);
    ``marks_b`` outlines masks on every heatmap (name → bool mask of B's size); ``ring_query_on_b`` rings the
    query's own place on them too (when A and B share coordinates, as on a live edit). A bottom row shows A and B side by
    side with a line from the query to each layer's best match at ``match_timestep`` (default: the first timestep
    shown; ``image_b_at_match`` is B's picture at that step, by default ``images_b`` of it).
    """
    st = _style()
    a, b = np.asarray(image_a), np.asarray(image_b)
    size_a, size_b = (a.shape[1], a.shape[0]), (b.shape[1], b.shape[0])
    images_b = {int(t): np.asarray(im) for t, im in (images_b or {}).items()}
    res = correspondence_grid(features_a, features_b, point, size_a, size_b, list(keys) if keys else None)
    layers = list(dict.fromkeys(k[0] for k in res))
    times = list(dict.fromkeys(k[1] for k in res))
    fig = _figure(len(times) + 1, len(layers) + 1, extra_w=0.6, extra_h=0.8)
    gs = fig.add_gridspec(len(layers) + 1, len(times) + 1)
    ax_a = fig.add_subplot(gs[:-1, 0])
    _show(ax_a, a, f"{title_a}: query {format_point(point)}")
    _ring(ax_a, point)
    im = None
    n_flat = 0
    for r, layer in enumerate(layers):
        for c, t in enumerate(times):
            ax = fig.add_subplot(gs[r, c + 1])
            if (layer, t) not in res:
                ax.axis("off")
                continue
            cr = res[(layer, t)]
            under = images_b.get(int(t), b)
            if cr.flat:
                n_flat += 1
                im = _heat(ax, under, cr.similarity, "magma", -1.0, 1.0, alpha=0.35, size=size_b)
                _title(ax, f"{layer} t={t}\nflat: best {cr.score:.2f} ≈ median {np.median(cr.similarity):.2f}",
                       color="0.45")
            else:
                im = _heat(ax, under, cr.similarity, "magma", -1.0, 1.0, size=size_b)
                ax.plot([cr.match[0]], [cr.match[1]], marker="x", color="cyan", ms=st.marker * 1.6, mew=st.mark_width)
                _title(ax, f"{layer} t={t}\nbest {cr.score:.2f} (median {np.median(cr.similarity):.2f})")
            for name, m in (marks_b or {}).items():
                _outline(ax, m, MASK_COLORS.get(name, (255, 255, 255)), size_b)
            if ring_query_on_b:
                _ring(ax, point, size=st.marker * 1.2)
    if im is not None:
        _colorbar(fig, im, fig.axes[1:], "cosine similarity")
    if n_flat:
        fig.suptitle(f"Dimmed maps are flat (best − median < {FLAT_CONTRAST}): almost every position matches the "
                     f"query as well as the best one, so their best match says nothing.", fontsize=st.suptitle)
    if times:
        t = times[0] if match_timestep is None else match_timestep
        shown_b = image_b_at_match if image_b_at_match is not None else images_b.get(int(t), b)
        pair = side_by_side(a, shown_b)
        ax = fig.add_subplot(gs[-1, :])
        _show(ax, pair.image, f"{title_a} → {title_b}: best match per layer at t={t}")
        for ln in match_lines(pair, point, res, layers, t):
            flat = res[ln.key].flat
            ax.plot([ln.start[0], ln.end[0]], [ln.start[1], ln.end[1]], ":" if flat else "-o", color=ln.color,
                    ms=st.marker * 0.6, lw=st.line, label=f"{ln.key[0]} ({ln.score:.2f}{', flat' if flat else ''})")
        _ring(ax, point)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=st.legend, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def trace_timestep_images(trace: Any) -> dict[int, np.ndarray]:
    """x̂₀ of the main-pass step at each timestep of ``trace``: what the edited branch looked like there."""
    return {int(s.timestep): step_image(trace, k) for k, s in enumerate(trace.steps) if s.round == 0}


def plot_trace_correspondence(trace: Any, point: Point, layers: Sequence[str] | None = None,
                              timesteps: Sequence[int] | None = None, max_columns: int = 4):
    """The correspondence grid on a live edit: original-branch features at ``point`` vs the edited branch.

    Each column is drawn over that step's x̂₀ (the edited branch as it was then), with the edit mask outlined (a
    move's new place) and the query's own place ringed, so a best match at the old or the new place reads at a
    glance. Without ``timesteps``, an even spread of ``max_columns`` recorded timesteps is shown. The pair view
    draws the matches of the least noisy timestep shown.
    """
    ref, cur = trace_features(trace, "reference"), trace_features(trace, "current")
    if timesteps is None:
        recorded = sorted({k[1] for k in ref}, reverse=True)
        pick = np.linspace(0, len(recorded) - 1, min(max_columns, len(recorded))).round().astype(int)
        timesteps = [recorded[i] for i in pick]
    keys = [k for k in ref if (layers is None or k[0] in layers) and (timesteps is None or k[1] in timesteps)]
    if not keys:
        raise ValueError(f"no recorded features for layers={layers} timesteps={timesteps}")
    marks = {"edit": trace.masks["edit"]} if trace.masks and "edit" in trace.masks else None
    shown = sorted({k[1] for k in keys})
    return plot_correspondence(trace.original, trace.result, ref, cur, point, keys, "original", "edited x̂₀",
                               match_timestep=shown[0], images_b=trace_timestep_images(trace), marks_b=marks,
                               ring_query_on_b=True)


_COMPARE_STYLES = ("--", ":", "-.")


def _series(x: Any) -> EnergySeries:
    return x if isinstance(x, EnergySeries) else energy_series(x)


def plot_energies(trace_or_series: Any, step: int | None = None, ax=None, *,
                  compare: Mapping[str, Any] | None = None, terms: Sequence[str] | None = None,
                  legend: bool = True, title: str | None = None):
    """Each energy term (w·E as applied) against the sampler step i; time-travel rounds shaded.

    The x axis is the sampler step i over the guided steps (its integer ticks are steps; the rounds of a time-travel
    step sit just right of it, so the saw-tooth within a step shows the guidance lowering the energy at one noise
    level). Each term keeps its colour (:func:`~dragon_widgets.inspect.colors.term_color`) in every figure.
    ``step`` (index into ``trace.steps``) draws a cursor; past the last guided step it is pinned to the right edge
    with the step it stands for. ``compare`` adds other runs of the same edit as dashed/dotted lines of the same
    colours (name → trace or :class:`EnergySeries`, e.g. the same edit without guidance);
    ``terms`` picks terms; ``ax`` draws into an existing Axes.
    """
    from matplotlib.lines import Line2D
    from matplotlib.ticker import MaxNLocator

    st = _style()
    s = _series(trace_or_series)
    others = {name: _series(v) for name, v in (compare or {}).items()}
    if len(others) > len(_COMPARE_STYLES):
        raise ValueError(f"compare takes at most {len(_COMPARE_STYLES)} series, got {len(others)}")
    shown = list(terms) if terms is not None else list(s.terms)
    unknown = [t for t in shown if t not in s.terms]
    if unknown:
        raise ValueError(f"terms {unknown} are not in the trace's energy terms {s.terms}")
    fig = _figure(3, 1, cell=2.6) if ax is None else ax.figure
    ax = fig.add_subplot() if ax is None else ax
    x = s.positions
    for k, term in enumerate(shown):
        color = term_color(term, s.terms.index(term))
        y = s.term(term)
        ok = ~np.isnan(y)
        ax.plot(x[ok], y[ok], "-", marker=".", color=color, lw=st.line, ms=st.marker, label=term)
        for (name, o), ls in zip(others.items(), _COMPARE_STYLES):
            if term in o.terms:
                yo = o.term(term)
                oko = ~np.isnan(yo)
                ax.plot(o.positions[oko], yo[oko], ls, color=color, lw=st.line * 0.8, alpha=0.9)
    lo, hi = s.span()
    for o in others.values():
        lo, hi = min(lo, o.span()[0]), max(hi, o.span()[1])
    for a, b in s.time_travel_spans():
        ax.axvspan(x[a] - 0.15, x[b] + 0.15, color="orange", alpha=0.15, lw=0)
    guided = s.guided & s.evaluated
    ax.plot(x[guided], np.zeros(int(guided.sum())), "|", color="k", ms=st.marker * 1.2,
            transform=ax.get_xaxis_transform())
    ax.set_xlim(lo - 0.6, hi + 0.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=10, steps=[1, 2, 5, 10]))
    ax.tick_params(labelsize=st.tick)
    ax.set_xlabel("sampler step i (shaded: time-travel rounds, drawn right of their step; ticks below: guided)",
                  fontsize=st.label)
    ax.set_ylabel("w·E (as applied)", fontsize=st.label)
    if step is not None:
        k = int(step) % len(x)
        if x[k] <= hi + 0.6:
            ax.axvline(x[k], color="k", ls="--", lw=max(1.0, st.line * 0.6))
        else:  # past the guided steps: pin the cursor to the edge and say where it is
            ax.axvline(hi + 0.6, color="k", ls="--", lw=max(1.0, st.line * 0.6))
            ax.annotate(f"cursor: step i={s.index[k]} (no energies after i={int(hi)}) →", xy=(1.0, 1.0),
                        xycoords="axes fraction", xytext=(0, 3), textcoords="offset points", ha="right",
                        va="bottom", fontsize=st.legend, color="0.25")
    if title:
        _title(ax, title)
    if legend:
        handles = [Line2D([], [], color=term_color(t, s.terms.index(t)), lw=st.line, marker=".", ms=st.marker,
                          label=t) for t in shown]
        if others:
            handles += [Line2D([], [], color="0.2", ls="-", lw=st.line, label="this edit")]
            handles += [Line2D([], [], color="0.2", ls=ls, lw=st.line * 0.8, label=name)
                        for name, ls in zip(others, _COMPARE_STYLES)]
        ax.legend(handles=handles, fontsize=st.legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    return fig


#: The masks the gradient figures outline: where a term may act (the edit region) and a move's old place.
GRADIENT_MASKS = ("edit", "source")


def _masks_on(ax, trace: Any, names: Sequence[str] | None = None) -> None:
    for name, m in (trace.masks or {}).items():
        if names is None or name in names:
            _outline(ax, m, MASK_COLORS.get(name, (255, 255, 255)), tuple(trace.size))


def _arrows(ax, trace: Any) -> None:
    st = _style()
    for (x0, y0), (x1, y1) in trace.points or []:
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                    arrowprops=dict(arrowstyle="->", color="white", lw=st.mark_width))
        ax.plot([x0], [y0], "o", color="red", ms=st.marker * 0.8)
        ax.plot([x1], [y1], "o", color="dodgerblue", ms=st.marker * 0.8)


def _gradient_panel(fig, ax, trace: Any, s: Any, term: str, colorbar: bool = True):
    """One opaque |∂E/∂z| map (black = no gradient), masks outlined, titled in the term's colour."""
    g = gradient_map(s, term)
    im = _field(ax, g, "inferno", 0.0, float(g.max()) or 1.0, tuple(trace.size))
    _masks_on(ax, trace, GRADIENT_MASKS)
    color = None if term == APPLIED else term_color(term, list(trace.terms).index(term) if term in trace.terms else 0)
    _title(ax, f"{gradient_label(term)} {step_label(s)}\nmax {g.max():.2e}", color=color)
    if colorbar:
        _colorbar(fig, im, ax)
    return im


def plot_gradients(trace: Any, step: int, terms: Sequence[str] | None = None, direction: bool = False):
    """x̂₀ at one step, then |∂E/∂z_t| of each term there, drawn opaque so a cell the term's region masks out reads as
    zero (black), with the edit region (yellow) and a move's old place (white) outlined; ``"applied"`` is the update
    g the sampler applied (the sum of the terms' maps; the only one in the editor app's default trace). ``terms``
    defaults to every recorded one (:func:`gradient_terms`).

    With ``direction=True`` a second row shows the signed push along the trace's :func:`push_axis` d, one latent
    direction for every step and term, signed so the edit region is pushed along it: red = pushed like the edit
    region (the pattern written in), blue = pushed the opposite way (taken out), grey = no push. Each title gives
    the share of that update that lies along d.
    """
    st = _style()
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
    cols = len(terms) + 1
    fig = _figure(cols, rows, extra_w=0.4 * len(terms), extra_h=0.9 if direction else 0.4)
    ax0 = fig.add_subplot(rows, cols, 1)
    _show(ax0, img, f"x̂₀ {step_label(s)}", size=size)
    _masks_on(ax0, trace, GRADIENT_MASKS)
    axis = push_axis(trace) if direction and s.grad_latents else None
    for c, term in enumerate(terms):
        _gradient_panel(fig, fig.add_subplot(rows, cols, c + 2), trace, s, term)
        if axis is not None and term in s.grad_latents:
            ax2 = fig.add_subplot(rows, cols, cols + c + 2)
            d = gradient_direction(s, term, axis=axis)
            lim = float(np.abs(d).max()) or 1.0
            im2 = _field(ax2, d, "coolwarm", -lim, lim, size)
            _masks_on(ax2, trace, GRADIENT_MASKS)
            _arrows(ax2, trace)
            _title(ax2, f"{push_label(term)}\n{push_share(s, term, axis):.0%} of this update lies along d")
            _colorbar(fig, im2, ax2)
    if direction:
        import textwrap

        fig.add_subplot(rows, cols, cols + 1).axis("off")
        fig.suptitle("\n".join(textwrap.wrap("Bottom row: " + PUSH_MEANING + ".", 40 * cols)),
                     fontsize=st.suptitle)
    return fig


def plot_attention(trace: Any, step: int, layer: str, point: Point, heads: bool = False):
    """Memory-bank attention of the query pixel ``point`` at one bank layer and step, one map per token group
    (the mean over heads; ``heads=True``: one map per head and group)."""
    s = get_step(trace, step)
    if not s.attention or layer not in s.attention:
        raise ValueError(f"no attention recorded for layer {layer!r} at step {step}; "
                         f"recorded: {list(s.attention or {})}")
    st = _style()
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
    fig = _figure(max(len(panels), 1) + 1, 1, extra_w=0.6, extra_h=0.6)
    ax = fig.add_subplot(1, max(len(panels), 1) + 1, 1)
    _show(ax, img, f"query {format_point(point)}\n{step_label(s)}", size=tuple(trace.size))
    _ring(ax, point)
    if not panels:  # masked bank selection (bg+fg): no grid to lay the weights on
        ax = fig.add_subplot(1, 2, 2)
        ax.plot(np.sort(am.weights)[::-1], color="k", lw=st.line)
        _title(ax, f"{am.weights.size} bank tokens (masked selection), sorted\n{_short_layer(layer)}")
        ax.set_ylabel("attention weight", fontsize=st.label)
        ax.tick_params(labelsize=st.tick)
        return fig
    vmax = float(max(m.max() for m, _, _ in panels))
    for c, (values, name, prefix) in enumerate(panels):
        ax = fig.add_subplot(1, len(panels) + 1, c + 2)
        under = trace.original if name == "bank" else img  # as the AttentionPanel widget draws it
        im = _heat(ax, np.asarray(under), values, "viridis", 0.0, vmax, size=tuple(trace.size))
        _title(ax, f"{prefix}{name} tokens: {values.sum():.0%}\n{_short_layer(layer)}")
    _colorbar(fig, im, fig.axes[1:], "attention weight")
    return fig


def _short_layer(layer: str) -> str:
    """``up_blocks.2.attentions.1.transformer_blocks.0.attn1`` → ``up_blocks.2 attn 1``."""
    return layer.replace(".transformer_blocks.0.attn1", "").replace(".attentions.", " attn ")


def plot_bank_share(trace: Any, query_mask: np.ndarray, key_mask: np.ndarray | None = None,
                    layers: Sequence[str] | None = None, key_group: int = -1):
    """Per bank layer, over the steps: the share of attention that the queries in ``query_mask`` (solid, one
    line per head) and the other queries (dashed) give to the bank tokens in ``key_mask``; dotted: the share
    under uniform attention. See :func:`dragon_widgets.inspect.bank_share_series`."""
    layers = list(layers) if layers else list(trace.bank_layers)
    st = _style()
    series = [bank_share_series(trace, layer, query_mask, key_mask, key_group) for layer in layers]
    fig = _figure(min(len(series), 3), (len(series) + 2) // 3, cell=2.6, extra_h=0.6)
    axes = fig.subplots((len(series) + 2) // 3, min(len(series), 3), sharey=True, squeeze=False).ravel()
    for ax, sr in zip(axes, series):
        x = np.arange(len(sr.steps))
        for hd in range(sr.inside.shape[1]):
            color = f"C{hd}"
            ax.plot(x, sr.inside[:, hd], "-", color=color, lw=st.line * 0.8, label=f"head {hd}: queries in region")
            ax.plot(x, sr.outside[:, hd], "--", color=color, lw=st.line * 0.5, label=f"head {hd}: other queries")
        ax.axhline(sr.uniform, color="grey", ls=":", lw=st.line * 0.6, label="uniform attention")
        ticks = x[:: max(1, len(x) // 5)]
        ax.set_xticks(ticks, [str(sr.index[t]) for t in ticks])
        ax.tick_params(labelsize=st.tick)
        _title(ax, _short_layer(sr.layer))
        ax.set_xlabel("sampler step i", fontsize=st.label)
    for ax in axes[len(series):]:
        ax.axis("off")
    axes[0].set_ylabel("attention share on the key region", fontsize=st.label)
    axes[0].legend(fontsize=st.legend * 0.8, loc="upper left")
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
    _title(ax, f"|{title_a} − {title_b}|\nmean {diff.mean():.1f}, max {diff.max():.0f}")
    _colorbar(fig, im, ax, "grey levels")
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
    sty = _style()
    if show_tracks and trace.points and any(st.features for st in trace.steps):
        ks, tr = handle_tracks(trace)
        upto = [n for n, k in enumerate(ks) if k <= int(step) % len(trace.steps)]
        if upto:
            for p in range(tr.shape[1]):
                ax.plot(tr[upto, p, 0], tr[upto, p, 1], "-", color="lime", lw=sty.line * 0.7)
                ax.plot(tr[upto[-1], p, 0], tr[upto[-1], p, 1], "s", mfc="none", mec="lime", ms=sty.marker * 1.4,
                        mew=sty.mark_width)
    W, H = tuple(trace.size)
    ax.set_xlim(0, W)
    ax.set_ylim(H, 0)
    return fig


def default_step(trace: Any) -> int:
    """The step the overview and the inspector open at: the last guided step (its x̂₀ is the least noisy of the
    guided ones and its gradient the strongest), or the last step of a trace without guidance."""
    guided = [k for k, s in enumerate(trace.steps) if s.guided]
    return guided[-1] if guided else len(trace.steps) - 1


def default_query(trace: Any, where: str = "source") -> Point:
    """The pixel the panels query first: a drag's first handle (``where="source"``) or its target (``"target"``);
    for a move, the centre of the object's old (``"source"``) or new (``"target"``, the edit mask) place; else the
    image centre."""
    from ..core.geometry import mask_center

    if where not in ("source", "target"):
        raise ValueError(f"where must be 'source' or 'target', got {where!r}")
    if trace.points:
        p = trace.points[0][0 if where == "source" else 1]
        return float(p[0]), float(p[1])
    masks = trace.masks or {}
    for name in ((where,) if where == "source" else ("target", "edit")):
        m = masks.get(name)
        if m is not None and np.asarray(m).any():
            return tuple(float(v) for v in mask_center(np.asarray(m, dtype=bool)))
    W, H = trace.size
    return W / 2, H / 2


def plot_overview(trace: Any, step: int | None = None):
    """One figure of the inspector at a step: x̂₀ with masks and tracks, energy curves, and the gradient map of the
    last guided step so far (else of the first guided step after it, as the gradient panel shows): |∂E_edit/∂z|
    when per-term gradients were recorded, else the applied update |g| (opaque: black = no gradient there).
    ``step`` defaults to :func:`default_step`.

    This is what the inspector app shows where a front end cannot display widgets.
    """
    k = (default_step(trace) if step is None else int(step)) % len(trace.steps)
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
        _gradient_panel(fig, fig.add_subplot(gs[0, 3]), trace, st, term, colorbar=False)
    return fig


def plot_reconstructions(image: np.ndarray, recs: Sequence[Any], vmax: float = 64.0):
    """DDIM inversion, sampled back (:func:`~dragon_widgets.inspect.reconstructions`): the input (left, both rows),
    each refinement's image (top) and its difference to the input (bottom), one colour scale and one colour bar for
    all the difference maps (grey levels, 0 to ``vmax``)."""
    st = _style()
    image = np.asarray(image)
    n = len(recs)
    if not n:
        raise ValueError("recs is empty: pass the list reconstructions() returns")
    fig = _figure(n + 1, 2, cell=2.2, extra_w=0.8, extra_h=0.6)
    gs = fig.add_gridspec(2, n + 1)
    _show(fig.add_subplot(gs[:, 0]), image, "input")
    im, diff_axes = None, []
    for c, r in enumerate(recs):
        _show(fig.add_subplot(gs[0, c + 1]), np.asarray(r.image), f"sampled back, refine={r.refine}\n{r.psnr:.1f} dB")
        ax = fig.add_subplot(gs[1, c + 1])
        diff = image_difference(image, r.image)
        im = ax.imshow(diff, cmap="magma", vmin=0.0, vmax=vmax, interpolation="nearest", extent=_extent(diff))
        ax.set_xticks([])
        ax.set_yticks([])
        _title(ax, f"|input − refine={r.refine}|\nmean {diff.mean():.1f}")
        diff_axes.append(ax)
    cb = fig.colorbar(im, ax=diff_axes, shrink=0.9, location="right")
    cb.set_label(f"grey levels (same scale for all; ≥ {vmax:.0f} saturates)", fontsize=st.label)
    cb.ax.tick_params(labelsize=st.tick)
    return fig


def edit_mask_on_grid(trace: Any, grid: tuple[int, int]) -> np.ndarray | None:
    """The trace's edit mask as latent cells (for checking gradient regions); None without one."""
    m = (trace.masks or {}).get("edit")
    return None if m is None else downsample_mask(m, grid)
