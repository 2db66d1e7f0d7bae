"""Presenter mode of the panels (readable at 1280×720) and the canvas snapshots of saved widget state."""

import io

import numpy as np
from PIL import Image

from dragon_widgets.inspect.style import NOTEBOOK, PRESENTER
from dragon_widgets.widgets.panels import InspectorApp


def test_presenter_mode_enlarges_every_panel(trace):
    small, big = InspectorApp(trace), InspectorApp(trace, presenter=True)
    assert big.presenter and "dw-presenter" in big._dom_classes and not small.presenter
    assert small.step_view.canvas.canvas.width == NOTEBOOK.display
    assert big.step_view.canvas.canvas.width == PRESENTER.display
    assert (big.energy.width, big.energy.height) == PRESENTER.energy_size and big.energy.font_size > small.energy.font_size
    for panel in (big.gradients.canvases["edit"], big.attention.query, next(iter(big.explorer.cells.values()))):
        assert f"font:{PRESENTER.css_font}px" in panel.label.value
        assert panel.style is PRESENTER
    assert big.gradients.canvases["edit"].canvas.width == PRESENTER.small_display
    # the whole top row fits a 1280-px-wide slide: x̂₀ and the energy curves side by side
    assert PRESENTER.display + PRESENTER.energy_size[0] + 40 <= 1280


def test_thick_marks_in_presenter_mode(trace, monkeypatch):
    from dragon_widgets.widgets.panels_draw import ImageCanvas

    widths = []
    c = ImageCanvas((64, 64), 256, style=PRESENTER)
    monkeypatch.setattr(type(c.canvas), "stroke_circle", lambda self, *a: widths.append(self.line_width))
    c.marker(10, 10)
    assert widths == [PRESENTER.css_line] and PRESENTER.css_line >= 2 * NOTEBOOK.css_line


def test_snapshots_keep_the_drawing_in_the_widget_state(trace, monkeypatch):
    from dragon_widgets.widgets.panels_draw import ImageCanvas

    off = ImageCanvas((64, 64), 128)
    off.draw_image(np.full((64, 64, 3), 40, np.uint8))
    assert off.canvas.image_data is None  # off by default: no PNG per drawing call
    monkeypatch.setenv("DRAGON_WIDGETS_SNAPSHOT", "1")
    c = ImageCanvas((64, 64), 128)
    c.draw_image(np.full((64, 64, 3), 40, np.uint8))
    c.draw_outline(np.pad(np.ones((8, 8), bool), 28), (255, 255, 0))
    c.marker(5, 5, color="red")
    png = Image.open(io.BytesIO(c.canvas.image_data)).convert("RGB")
    arr = np.asarray(png)
    assert png.size == (128, 128)
    assert tuple(arr[100, 100]) == (40, 40, 40)  # the image
    assert tuple(arr[57, 64]) == (255, 255, 0)  # the outline (cell 28 of 64 at zoom 2)
    assert arr[..., 0].max() == 255 and (arr[..., 0] > 200).sum() > 10  # the red ring
    app = InspectorApp(trace)
    assert app.step_view.canvas.canvas.image_data is not None
    state = app.step_view.canvas.canvas.get_state()
    assert state["image_data"] is not None  # what a saved notebook's widget state carries
