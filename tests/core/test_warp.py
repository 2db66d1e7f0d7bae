"""core.warp.warp_image: exact copies for whole-pixel placements, a non-ringing filter for sub-pixel placements and
scales (triangle for scale ≥ 1, area below), content at p shown at affine(p), edges replicated."""

import numpy as np
import pytest

from dragon_widgets.core.geometry import Affine
from dragon_widgets.core.warp import axis_taps, warp_image


def _random_image(h=48, w=70, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def _hard_edged(h=64, w=96):
    """Saturated flat regions with hard edges: black ground, a white box, a red bar, a blue single-pixel line."""
    img = np.zeros((h, w, 3), np.uint8)
    img[12:40, 20:50] = 255
    img[30:52, 44:80] = (255, 0, 0)
    img[:, 85] = (0, 0, 255)
    return img


@pytest.mark.parametrize("center", [(35.0, 24.0), (33.25, 20.7), (0.0, 0.0)])
def test_zero_offset_at_scale_1_returns_the_image_bit_for_bit(center):
    img = _random_image()
    out = warp_image(img, Affine(center, 1.0, (0.0, 0.0)))
    assert out.dtype == img.dtype and np.array_equal(out, img)
    assert out is not img  # a copy: the caller may write into it
    flt = img.astype(np.float32) / 7
    assert np.array_equal(warp_image(flt, Affine(center, 1.0, (0.0, 0.0))), flt)
    gray = img[..., 0]
    assert np.array_equal(warp_image(gray, Affine(center, 1.0, (0.0, 0.0))), gray)


@pytest.mark.parametrize("dx, dy", [(5, 3), (-7, 2), (0, -11), (13, 0), (1, 1)])
def test_integer_offsets_at_scale_1_copy_the_pixels_exactly_with_edges_replicated(dx, dy):
    img = _random_image()
    h, w = img.shape[:2]
    out = warp_image(img, Affine((31.5, 22.0), 1.0, (float(dx), float(dy))))
    rows = np.clip(np.arange(h) - dy, 0, h - 1)
    cols = np.clip(np.arange(w) - dx, 0, w - 1)
    assert np.array_equal(out, img[rows][:, cols])
    # the part that stays on the canvas is the image itself, moved
    ys, xs = slice(max(dy, 0), h + min(dy, 0)), slice(max(dx, 0), w + min(dx, 0))
    assert np.array_equal(out[ys, xs], img[max(-dy, 0):h - max(dy, 0), max(-dx, 0):w - max(dx, 0)])


def test_offsets_within_rounding_of_an_integer_still_give_the_exact_copy():
    img = _random_image()
    # offsets scaled to the working size can come out as 48.000000000001 or 2.999999999999
    out = warp_image(img, Affine((10.0, 10.0), 1.0, (48 + 1e-12, 3 - 1e-12)))
    rows = np.clip(np.arange(img.shape[0]) - 3, 0, img.shape[0] - 1)
    cols = np.clip(np.arange(img.shape[1]) - 48, 0, img.shape[1] - 1)
    assert np.array_equal(out, img[rows][:, cols])


def test_a_sub_pixel_shift_interpolates_linearly_between_the_two_nearest_pixels():
    img = _random_image().astype(np.float64)
    half = warp_image(img, Affine((0.0, 0.0), 1.0, (0.5, 0.0)))
    assert np.allclose(half[:, 1:], (img[:, 1:] + img[:, :-1]) / 2)
    assert np.allclose(half[:, 0], img[:, 0])  # edge replicated
    quarter = warp_image(img, Affine((0.0, 0.0), 1.0, (0.0, -0.25)))
    assert np.allclose(quarter[:-1], 0.75 * img[:-1] + 0.25 * img[1:])


@pytest.mark.parametrize("scale", [0.1, 0.33, 0.5, 0.8, 1.0, 1.25, 2.0, 3.7])
@pytest.mark.parametrize("offset", [(0.0, 0.0), (0.125, 0.0), (3.4, -2.6), (-6.0, 5.0)])
def test_no_ringing_on_a_hard_edged_reference(scale, offset):
    """Every output value lies between the input's values: no overshoot beyond the range, per channel."""
    img = _hard_edged()
    for data in (img, img.astype(np.float64)):
        out = warp_image(data, Affine((40.0, 30.0), scale, offset))
        for c in range(3):
            lo, hi = data[..., c].min(), data[..., c].max()
            assert out[..., c].min() >= lo and out[..., c].max() <= hi
    # a hard step stays monotone across its edge (no dip before, no bump after)
    step = np.zeros((8, 64), np.float64)
    step[:, 32:] = 255.0
    row = warp_image(step, Affine((20.0, 4.0), scale, offset))[4]
    assert np.all(np.diff(row) >= -1e-9)  # float rounding only


def test_the_old_quarter_pixel_bicubic_lookup_is_gone():
    """The previous warp sampled a 4× bicubic upscale at floor(4·x): ⅛ px off at zero offset and overshooting edges
    (up to 11/255). A whole-pixel placement now copies, and a sub-pixel one stays inside the input's range."""
    img = _hard_edged()
    assert np.array_equal(warp_image(img, Affine((40.0, 30.0), 1.0, (0.0, 0.0))), img)
    out = warp_image(img, Affine((40.0, 30.0), 1.0, (0.3, 0.7)))
    dark = img.max(axis=2) == 0  # pixels whose whole 2×2 neighbourhood is black stay exactly black
    interior = dark.copy()
    interior[1:] &= dark[:-1]
    interior[:, 1:] &= dark[:, :-1]
    interior[1:, 1:] &= dark[:-1, :-1]
    assert (out[interior] == 0).all()


def test_content_at_p_appears_at_affine_p():
    """A box scaled by 2 or 0.5 about a centre and moved lands on the mapped box; its inside keeps its value."""
    img = np.zeros((80, 120), np.float64)
    img[30:40, 50:70] = 100.0  # box [50, 70) × [30, 40)
    for scale, offset in [(2.0, (6.0, -4.0)), (0.5, (-10.0, 8.0)), (1.0, (2.5, 0.0))]:
        aff = Affine((60.0, 35.0), scale, offset)
        out = warp_image(img, aff)
        (x0, x1), (y0, y1) = (aff.forward(np.array([50.0, 70.0]), np.array([30.0, 40.0])))
        inner = out[int(np.ceil(y0)) + 1:int(y1) - 1, int(np.ceil(x0)) + 1:int(x1) - 1]
        assert inner.size and np.allclose(inner, 100.0)
        outside = np.ones_like(out, bool)
        ys = slice(max(int(np.floor(y0)) - 1, 0), int(np.ceil(y1)) + 1)
        xs = slice(max(int(np.floor(x0)) - 1, 0), int(np.ceil(x1)) + 1)
        outside[ys, xs] = False
        assert np.all(out[outside] == 0)
        # area is conserved: the box's mass scales by scale² (area filter exactly, triangle up to its edges)
        assert out.sum() == pytest.approx(img.sum() * scale ** 2, rel=0.02)


def test_downscales_average_the_covered_area():
    checker = (np.indices((64, 64)).sum(0) % 2 * 255).astype(np.uint8)
    out = warp_image(checker, Affine((32.0, 32.0), 0.5, (0.0, 0.0)))
    assert (out[16:48, 16:48] == 128).all()  # every output pixel covers 2×2 source pixels: 127.5 → 128
    idx, w = axis_taps(50, 20.3, 0.3, 1.7)
    assert (w >= 0).all() and np.allclose(w.sum(axis=1), 1.0) and (idx >= 0).all() and (idx < 50).all()
    idx, w = axis_taps(50, 20.3, 2.6, -1.7)
    assert (w >= 0).all() and np.allclose(w.sum(axis=1), 1.0) and w.shape[1] == 2


@pytest.mark.parametrize("image, affine, match", [
    (np.zeros(5, np.uint8), Affine((0, 0), 1.0, (0, 0)), "image must be an"),
    (np.zeros((4, 4), np.uint8), Affine((0, 0), 0.0, (0, 0)), "affine.scale must be a positive"),
    (np.zeros((4, 4), np.uint8), Affine((0, 0), float("nan"), (0, 0)), "affine.scale"),
    (np.zeros((4, 4), np.uint8), Affine((0, 0), 1.5, (float("inf"), 0)), "centre and offset must be finite"),
    (np.zeros((4, 4), bool), Affine((0, 0), 1.5, (0, 0)), "real numbers"),
])
def test_bad_input_is_refused_with_the_argument_named(image, affine, match):
    with pytest.raises(ValueError, match=match):
        warp_image(image, affine)
