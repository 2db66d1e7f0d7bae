"""The one square dilation (and its erosion) every layer uses, against a brute-force definition."""

from __future__ import annotations

import numpy as np
import pytest

from dragon_widgets.core.geometry import bbox, mask_center
from dragon_widgets.core.masks import dilate, erode


def _brute_dilate(m: np.ndarray, r: int) -> np.ndarray:
    h, w = m.shape
    out = np.zeros_like(m)
    for y, x in zip(*np.nonzero(m)):
        out[max(0, y - r):y + r + 1, max(0, x - r):x + r + 1] = True
    return out


@pytest.mark.parametrize("r", [0, 1, 2, 5, 40])
def test_dilate_is_the_square_neighbourhood_at_any_radius(r):
    rng = np.random.default_rng(r)
    m = rng.random((23, 37)) > 0.96
    m[0, 0] = m[-1, -1] = True  # corners: the window is clipped at the image edge
    assert np.array_equal(dilate(m, r), _brute_dilate(m, r))


def test_dilate_by_r_is_r_steps_of_the_3x3_element():
    m = np.zeros((15, 15), bool)
    m[7, 7] = True
    once = m
    for _ in range(3):
        once = dilate(once, 1)
    assert np.array_equal(dilate(m, 3), once) and dilate(m, 3).sum() == 49


def test_erode_keeps_pixels_whose_square_is_set_and_the_border_does_not_erode():
    m = np.zeros((10, 12), bool)
    m[2:8, 3:9] = True
    assert np.array_equal(erode(m, 1), m & np.pad(np.ones((4, 4), bool), ((3, 3), (4, 4))))
    assert erode(np.ones((5, 5), bool), 2).all()  # outside counts as set
    assert not erode(m, 3).any()


def test_inputs_are_left_alone_and_bad_ones_are_named():
    m = np.zeros((4, 4), bool)
    m[1, 1] = True
    before = m.copy()
    dilate(m, 2)
    assert np.array_equal(m, before) and dilate(m, 0) is not m
    assert not dilate(np.zeros((4, 4), bool), 3).any()
    with pytest.raises(ValueError, match="radius must be >= 0"):
        dilate(m, -1)
    with pytest.raises(ValueError, match=r"mask must be 2-D"):
        dilate(np.zeros((2, 2, 2), bool), 1)


def test_bbox_and_its_centre_use_an_exclusive_upper_bound():
    m = np.zeros((10, 20), bool)
    m[2:5, 6:10] = True
    assert bbox(m) == (6, 2, 10, 5)
    assert mask_center(m) == (8.0, 3.5)
