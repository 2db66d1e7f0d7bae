import numpy as np
import pytest

from dragon_widgets.inspect import best_match, correspond, correspondence_grid, similarity_to_vector


def _features(seed=0, c=16, h=16, w=16):
    return np.random.default_rng(seed).standard_normal((c, h, w)).astype(np.float32)


def test_identical_maps_give_similarity_one_at_the_query_point():
    f = _features()
    cr = correspond(f, f.copy(), point=(21.0, 37.0), size_a=(64, 64))
    col, row = cr.query_cell
    assert (col, row) == (5, 9)
    assert cr.similarity[row, col] == pytest.approx(1.0, abs=1e-6)
    assert cr.match_cell == (col, row)
    assert cr.match == (22.0, 38.0)  # centre of the 4-px cell


@pytest.mark.parametrize("shift", [(0, 3), (2, -4), (-5, 1)])
def test_shifted_map_moves_the_best_match_by_the_shift(shift):
    dy, dx = shift
    f = _features(1)
    g = np.roll(f, shift=(dy, dx), axis=(1, 2))
    point = (8 * 4 + 1, 7 * 4 + 2)  # cell (8, 7) of a 16x16 grid on 64x64 px
    cr = correspond(f, g, point, size_a=(64, 64))
    assert cr.match_cell == ((8 + dx) % 16, (7 + dy) % 16)
    assert cr.match[0] - (8.5 * 4) == pytest.approx(dx * 4)
    assert cr.score == pytest.approx(1.0, abs=1e-6)


def test_different_resolutions_and_image_sizes_map_through_pixels():
    f = _features(2, h=8, w=8)
    g = np.repeat(np.repeat(f, 2, axis=1), 2, axis=2)  # same content on a 16x16 grid
    cr = correspond(f, g, point=(10, 50), size_a=(64, 64), size_b=(128, 128))
    assert cr.match_cell == (2, 12)
    assert cr.match == (20.0, 100.0)


def test_similarity_is_cosine_over_channels():
    f = _features(3, c=4, h=2, w=3)
    v = f[:, 1, 2]
    sim = similarity_to_vector(v, f)
    want = np.einsum("c,chw->hw", v, f) / (np.linalg.norm(v) * np.linalg.norm(f, axis=0))
    np.testing.assert_allclose(sim, want, rtol=1e-5)
    assert best_match(sim) == (2, 1)


def test_grid_over_layer_and_timestep_keys():
    fa = {("up_blocks.1", 261): _features(4), ("up_blocks.2", 261): _features(5, c=8, h=32, w=32)}
    res = correspondence_grid(fa, fa, (30, 30), (64, 64))
    assert set(res) == set(fa)
    assert res[("up_blocks.2", 261)].similarity.shape == (32, 32)
    assert all(r.score == pytest.approx(1.0, abs=1e-6) for r in res.values())


def test_bad_input_names_the_argument():
    f = _features()
    with pytest.raises(ValueError, match="point"):
        correspond(f, f, (64, 3), (64, 64))
    with pytest.raises(ValueError, match="features_b"):
        correspond(f, f[0], (3, 3), (64, 64))
    with pytest.raises(ValueError, match="channels"):
        correspond(f, f[:8], (3, 3), (64, 64))
    with pytest.raises(KeyError):
        correspondence_grid({"a": f}, {"b": f}, (3, 3), (64, 64), keys=["a"])


def test_torch_half_tensors_are_accepted():
    torch = pytest.importorskip("torch")
    f = torch.from_numpy(_features(6)).half()
    cr = correspond(f, f, (3, 3), (64, 64))
    assert cr.score == pytest.approx(1.0, abs=1e-3)
