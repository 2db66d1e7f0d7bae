"""The second embedded model's scene world: broad training ranges, and a shifted world held out of them."""

import numpy as np
import pytest

from dragon_widgets.bench import scenes
from dragon_widgets.bench.world import HELD_OUT, _in_bands, sample_world_scene
from dragon_widgets.models.vocab import save_tokenizer


def _hue(rgb) -> float:
    import colorsys

    return colorsys.rgb_to_hsv(*rgb)[0] * 360.0


def _draw(world: str, n: int = 150):
    rng = np.random.default_rng([7, len(world)])
    return [sample_world_scene(rng, world) for _ in range(n)]


def test_training_world_never_draws_the_held_out_ranges():
    lo, hi = HELD_OUT["size_band"]
    textures, layouts, counts = set(), set(), set()
    for sc in _draw("train"):
        textures.add(sc.background.texture)
        layouts.add(sc.background.layout)
        counts.add(len(sc.shapes))
        for s in sc.shapes:
            assert not lo <= s.size <= hi
            if s.color != "white":  # near-white shapes have no reliable hue
                assert not _in_bands(_hue(s.rgb)), s
    assert textures == {"gradient", "striped", "noise", "mottled"}
    assert layouts == {"linear"} and counts == {1, 2, 3, 4}


def test_shifted_world_draws_only_held_out_ranges():
    lo, hi = HELD_OUT["size_band"]
    for sc in _draw("shifted", 60):
        assert sc.background.layout in HELD_OUT["layouts"]
        assert sc.background.texture in ("gradient",) + HELD_OUT["textures"]
        for s in sc.shapes:
            assert lo <= s.size <= hi
            if s.color != "white":
                assert _in_bands(_hue(s.rgb)), s


def test_world_scenes_have_contrast_and_round_trip():
    for sc in _draw("train", 40):
        img, masks = scenes.render(sc, 64)
        bg = scenes.render_background(sc.background, 64)
        for s, m in zip(sc.shapes, masks):
            inside = m > 0.99
            if inside.sum() > 4:
                assert np.linalg.norm(img[inside].mean(0) - bg[inside].mean(0)) > 0.2
        assert scenes.Scene.from_dict(sc.to_dict()) == sc


def test_supersampled_render_matches_the_analytic_one():
    sc = _draw("train", 1)[0]
    a, _ = scenes.render(sc, 64)
    b, _ = scenes.render(sc, 64, supersample=2)
    assert a.shape == b.shape and np.abs(a - b).mean() < 0.02


def test_every_caption_word_is_one_token_and_world_captions_fit(tmp_path):
    tok = save_tokenizer(tmp_path)
    for w in scenes.CAPTION_WORDS:
        assert len(tok(w).input_ids) == 3, w
    for sc in _draw("train", 100):
        text = scenes.caption(sc)
        ids = tok(text).input_ids
        assert len(ids) <= tok.model_max_length and tok.decode(ids[1:-1]).strip() == text


def test_unknown_world_is_refused():
    with pytest.raises(ValueError, match="world"):
        sample_world_scene(np.random.default_rng(0), "test")
