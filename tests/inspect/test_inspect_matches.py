import numpy as np
import pytest

from dragon_widgets.inspect import correspondence_grid, layer_color, match_lines, side_by_side


def test_side_by_side_scales_b_to_a_height_and_maps_points():
    a = np.zeros((64, 48, 3), np.uint8)
    b = np.full((32, 40, 3), 200, np.uint8)
    pair = side_by_side(a, b, gap=2)
    assert pair.image.shape == (64, 48 + 2 + 80, 3) and pair.scale_b == 2.0 and pair.offset_b == 50
    assert (pair.image[:, 48:50] == 255).all() and (pair.image[:, 50:] == 200).all()
    assert pair.from_b((10, 5)) == (70.0, 10.0)
    assert pair.to_a((47.5, 63)) == (47.5, 63.0)
    assert pair.to_a((49, 10)) is None and pair.to_a((60, 10)) is None
    with pytest.raises(ValueError, match="image_b"):
        side_by_side(a, np.zeros((8, 8)))


def test_lines_go_from_the_query_to_each_layers_best_match():
    rng = np.random.default_rng(0)
    f = rng.standard_normal((8, 16, 16)).astype(np.float32)
    fa = {("l1", 500): f, ("l2", 500): f, ("l2", 100): f}
    fb = {("l1", 500): np.roll(f, (2, 3), axis=(1, 2)), ("l2", 500): f.copy(), ("l2", 100): f.copy()}
    point = (4 * 5 + 1, 4 * 6 + 1)  # cell (5, 6) of 16x16 on 64x64
    res = correspondence_grid(fa, fb, point, (64, 64))
    pair = side_by_side(np.zeros((64, 64, 3), np.uint8), np.zeros((64, 64, 3), np.uint8), gap=4)
    lines = match_lines(pair, point, res, ["l1", "l2"], 500)
    assert [ln.key for ln in lines] == [("l1", 500), ("l2", 500)]
    assert all(ln.start == (21.0, 25.0) for ln in lines)
    assert lines[0].end == (68 + (5 + 3) * 4 + 2, (6 + 2) * 4 + 2)  # rolled by 3 columns and 2 rows
    assert lines[1].end == (68 + 5 * 4 + 2, 6 * 4 + 2)
    assert [ln.color for ln in lines] == [layer_color(0), layer_color(1)]
    assert [ln.key for ln in match_lines(pair, point, res, ["l1", "l2"], 100)] == [("l2", 100)]
