"""The widgets read images and masks through the engine's normaliser: same pixels, same errors."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.core import images as core
from dragon_widgets.widgets import CompareView, DragCanvas
from dragon_widgets.widgets import _imaging


@pytest.mark.parametrize("image", [
    np.full((16, 16, 3), 128.0),  # 0..255 floats (were all white)
    Image.fromarray(np.full((16, 16), 30000, np.uint16)),  # I;16 (was all white)
    Image.fromarray(np.full((16, 16), 0.5, np.float32), "F"),  # F in 0..1 (was black)
    Image.new("RGBA", (16, 16), (255, 0, 0, 100)),  # alpha over white, as the engine does
    Image.new("LA", (16, 16), (0, 0)),
], ids=["float255", "I16", "F", "RGBA", "LA"])
def test_canvas_shows_what_the_engine_edits(image):
    c = DragCanvas(image)
    assert np.array_equal(c.image_array, core.to_rgb_array(image))
    assert not (c.image_array == 255).all() or image.mode == "LA"


def test_compare_view_uses_the_same_conversion():
    before = np.full((16, 16, 3), 64.0)
    v = CompareView(before)
    assert np.array_equal(_imaging.decode(v.before_data), core.to_rgb_array(before))


def test_canvas_mask_setter_uses_the_one_mask_normaliser():
    c = DragCanvas(np.zeros((20, 30, 3), np.uint8))
    m = np.zeros((40, 60), np.uint8)
    m[10:20, 10:20] = 255
    c.mask = m  # the full-size drawing of a reduced picture: resized
    assert c.mask.sum() == 25
    with pytest.raises(ValueError, match="mask contains NaN"):
        c.mask = np.full((20, 30), np.nan)


def test_decode_of_truncated_bytes_is_a_value_error_naming_the_drop():
    buf = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(buf, format="PNG")
    data = buf.getvalue()[:300]
    with pytest.raises(ValueError, match=r"dropped file \(300 bytes\) is truncated or corrupt"):
        _imaging.decode(data, "dropped file")
