import numpy as np
import pytest

from dragon_widgets.core.geometry import (Affine, check_inside, mask_center, point_cell, shift_mask, to_grid,
                                            warp_mask_indices, window_indices)


def rect(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), bool)
    m[y0:y1, x0:x1] = True
    return m


def test_translation_on_non_square_mask_moves_x_and_y_independently():
    m = rect(40, 100, 10, 20, 5, 25)  # H=40, W=100
    out = shift_mask(m, Affine(mask_center(m), 1.0, (30, 7)))
    assert out.sum() == m.sum()
    assert np.array_equal(np.argwhere(out), np.argwhere(m) + [7, 30])


def test_resize_about_centre_scales_area_and_keeps_centre():
    m = rect(64, 96, 20, 40, 30, 50)
    out = shift_mask(m, Affine(mask_center(m), 1.5, (0, 0)))
    assert abs(out.sum() / m.sum() - 2.25) < 0.15
    assert np.allclose(mask_center(out), mask_center(m), atol=1)


def test_warp_indices_pair_each_target_cell_with_its_source_cell():
    m = rect(30, 50, 5, 10, 5, 12)
    dst_mask, dst, src = warp_mask_indices(m, Affine(mask_center(m), 1.0, (20, 10)))
    assert np.array_equal(dst - src, np.full(dst.shape, 10 * 50 + 20))
    assert m.ravel()[src].all() and dst_mask.ravel()[dst].all()


def test_leaving_the_image_is_rejected_with_the_argument_named():
    m = rect(40, 100, 10, 20, 80, 95)
    with pytest.raises(ValueError, match="offset/scale moves the object outside"):
        check_inside(m, Affine(mask_center(m), 1.0, (10, 0)), "offset/scale")
    check_inside(m, Affine(mask_center(m), 1.0, (-70, 15)), "offset/scale")  # fine


def test_point_cells_clip_per_axis_on_non_square_grids():
    # the official code clipped x with the height; here a point at the far right of a wide grid stays there
    assert point_cell((199.0, 10.0), (200, 50), (40, 10), radius=1) == (38, 2)
    assert point_cell((0.0, 49.0), (200, 50), (40, 10), radius=1) == (1, 8)
    idx = window_indices((38, 2), (40, 10), 1)
    assert len(idx) == 9 and idx.max() < 400 and (idx % 40).max() == 39


def test_tiny_masks_survive_downsampling():
    m = np.zeros((64, 64), bool)
    m[10, 10] = True
    g = to_grid(m, (8, 8))
    assert g.sum() == 1 and g[1, 1]
