"""The one PSNR: uint8 images exactly in grey levels, float images in [0, 1], over a mask or all pixels."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dragon_widgets.core.psnr import psnr


def test_psnr_of_a_known_difference_in_either_value_range():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 255  # one pixel of 16 fully changed: mse = 1/16 of the peak²
    assert psnr(a, a) == math.inf
    assert psnr(a, b) == pytest.approx(10 * math.log10(16))
    assert psnr(a.astype(np.float32), b.astype(np.float32) / 255) == pytest.approx(10 * math.log10(16))
    assert psnr(a, b.astype(np.float64) / 255) == pytest.approx(10 * math.log10(16))  # mixed: both in [0, 1]


def test_psnr_over_a_mask():
    a = np.zeros((4, 4, 3), np.uint8)
    b = a.copy()
    b[0, 0] = 40
    elsewhere = np.ones((4, 4), bool)
    elsewhere[0, 0] = False
    assert psnr(a, b, elsewhere) == math.inf  # must pass: the change lies outside the mask
    only = ~elsewhere
    assert psnr(a, b, only) == pytest.approx(10 * math.log10(255 ** 2 / 40 ** 2))  # must fail: all of it changed
    assert math.isnan(psnr(a, b, np.zeros((4, 4), bool)))


def test_bad_inputs_are_named():
    a = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="one size"):
        psnr(a, np.zeros((4, 5, 3), np.uint8))
    with pytest.raises(ValueError, match=r"b must be an \(H, W, 3\) image"):
        psnr(a, np.zeros((4, 4), np.uint8))
    with pytest.raises(ValueError, match="mask has shape"):
        psnr(a, a, np.ones((3, 3), bool))
