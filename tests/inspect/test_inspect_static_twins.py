"""Static twins: the matplotlib figures draw the mask outlines on the same pixel rows/cols as the widget panels."""

import numpy as np
import pytest

from dragon_widgets.inspect import plot_overview, plot_step
from dragon_widgets.inspect.colors import MASK_COLORS
from inspect_synthetic import make_trace


def asymmetric_mask() -> np.ndarray:
    """An L in the top-left quarter: flipping it vertically or horizontally moves every outline cell."""
    m = np.zeros((64, 64), bool)
    m[4:30, 4:12] = True  # the upright bar
    m[22:30, 4:28] = True  # the foot, to the right
    return m


@pytest.fixture
def l_trace():
    trace = make_trace()
    trace.masks = {"edit": asymmetric_mask()}
    trace.points = []
    for s in trace.steps:  # black pictures: only the outline is coloured
        if s.x0 is not None:
            s.x0 = np.zeros_like(s.x0)
    trace.original = np.zeros_like(trace.original)
    return trace


def widget_outline_cells(trace, monkeypatch) -> set[tuple[int, int]]:
    """(row, col) image cells the StepView widget fills for the edit mask's outline."""
    from ipycanvas import Canvas

    from dragon_widgets.widgets.panels import StepView

    drawn = []
    original = Canvas.fill_rects

    def recording(self, x, y, width, height=None):
        drawn.append((self.fill_style, np.atleast_1d(x), np.atleast_1d(y), self.width, self.height))
        return original(self, x, y, width, height)

    monkeypatch.setattr(Canvas, "fill_rects", recording)
    StepView(trace)
    W, H = trace.size
    r, g, b = MASK_COLORS["edit"]
    cells = set()
    for style, xs, ys, cw, ch in drawn:
        if style.startswith(f"rgba({r},{g},{b},"):
            cells |= {(int(round(y * H / ch)), int(round(x * W / cw))) for x, y in zip(xs, ys)}
    return cells


def figure_outline_cells(fig, ax, trace) -> tuple[set[tuple[int, int]], int]:
    """(row, col) image cells under the figure's edit-outline pixels, and the number of such pixels."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    fig.set_dpi(150)
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())[..., :3].astype(int)
    want = np.round(0.9 * np.asarray(MASK_COLORS["edit"])).astype(int)  # 90 % outline over a black image
    hit = np.all(np.abs(rgba - want) <= 3, axis=-1)
    x0, y0, x1, y1 = ax.get_window_extent().extents  # display pixels, origin bottom-left
    rows, cols = np.nonzero(hit)
    disp_y = rgba.shape[0] - (rows + 0.5)
    disp_x = cols + 0.5
    inside = (disp_x > x0) & (disp_x < x1) & (disp_y > y0) & (disp_y < y1)
    data = ax.transData.inverted().transform(np.stack([disp_x[inside], disp_y[inside]], axis=1))
    W, H = trace.size
    cells = [(int(np.floor(y)), int(np.floor(x))) for x, y in data if 0 <= x < W and 0 <= y < H]
    return set(cells), len(cells)


def assert_same_cells(fig_cells, n_pixels, widget_cells):
    assert widget_cells and n_pixels > 4 * len(widget_cells)  # several figure pixels per outline cell
    near = {(r + dr, c + dc) for r, c in widget_cells for dr in (-1, 0, 1) for dc in (-1, 0, 1)}
    assert fig_cells <= near, sorted(fig_cells - near)[:10]  # no outline where the widget has none
    exact = len(fig_cells & widget_cells) / len(widget_cells)
    assert exact > 0.95  # and the figure covers the widget's outline cells


def test_asymmetric_mask_really_tells_flips_apart():
    from dragon_widgets.inspect._arrays import mask_outline

    edge = mask_outline(asymmetric_mask())
    for flipped in (edge[::-1], edge[:, ::-1]):
        assert (edge & flipped).sum() < 0.1 * edge.sum()


def test_plot_step_outlines_the_mask_where_the_widget_does(l_trace, monkeypatch):
    widget = widget_outline_cells(l_trace, monkeypatch)
    fig = plot_step(l_trace, 0, show_tracks=False)
    cells, n = figure_outline_cells(fig, fig.axes[0], l_trace)
    assert_same_cells(cells, n, widget)


def test_plot_overview_outlines_the_mask_where_the_widget_does(l_trace, monkeypatch):
    widget = widget_outline_cells(l_trace, monkeypatch)
    fig = plot_overview(l_trace, 0)
    cells, n = figure_outline_cells(fig, fig.axes[0], l_trace)
    assert_same_cells(cells, n, widget)


def test_points_and_images_share_the_widget_pixel_convention(l_trace):
    """Pixel (col, row) covers [col, col+1] × [row, row+1] in every figure, as on the widget canvases."""
    from dragon_widgets.inspect import plot_attention, plot_gradients
    from inspect_synthetic import BANK_LAYER

    W, H = l_trace.size
    figs = [plot_step(l_trace, 0), plot_overview(l_trace, 0), plot_gradients(l_trace, 0, direction=True),
            plot_attention(l_trace, 0, BANK_LAYER, (30, 30))]
    for fig in figs:
        for ax in fig.axes:
            for im in ax.get_images():
                assert tuple(im.get_extent()) == (0, W, H, 0), ax.get_title()
