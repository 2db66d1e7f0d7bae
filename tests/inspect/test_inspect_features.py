import numpy as np
import pytest

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def pipe():
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    return random_embedded_pipeline(0)


def _image(seed=0):
    return (np.random.default_rng(seed).random((64, 64, 3)) * 255).astype(np.uint8)


def test_every_block_at_every_timestep(pipe):
    from dragon_widgets.inspect import FeatureExtractor, available_layers

    layers = available_layers(pipe.unet)
    assert layers[0] == "down_blocks.0" and "mid_block" in layers and layers[-1] == "up_blocks.3"
    feats = FeatureExtractor(pipe, layers=layers, timesteps=[101, 501])(_image())
    assert set(feats) == {(name, t) for name in layers for t in (101, 501)}
    assert tuple(feats[("up_blocks.1", 101)].shape) == (128, 16, 16)
    assert tuple(feats[("up_blocks.2", 501)].shape) == (64, 32, 32)
    assert not torch.equal(feats[("up_blocks.2", 101)], feats[("up_blocks.2", 501)])


def test_fixed_seed_makes_same_image_correspond_exactly(pipe):
    from dragon_widgets.inspect import FeatureExtractor, correspond

    fx = FeatureExtractor(pipe, layers=["up_blocks.2"], timesteps=[261], seed=3)
    a, b = fx(_image(1)), fx(_image(1))
    assert torch.equal(a[("up_blocks.2", 261)], b[("up_blocks.2", 261)])
    cr = correspond(a[("up_blocks.2", 261)], b[("up_blocks.2", 261)], (40, 12), (64, 64))
    assert cr.match_cell == cr.query_cell and cr.score == pytest.approx(1.0, abs=1e-5)
    c = FeatureExtractor(pipe, layers=["up_blocks.2"], timesteps=[261], seed=4)(_image(1))
    assert not torch.equal(a[("up_blocks.2", 261)], c[("up_blocks.2", 261)])


def test_forward_stops_after_the_last_requested_block(pipe):
    from dragon_widgets.inspect import FeatureExtractor

    calls = []
    h = pipe.unet.up_blocks[3].register_forward_hook(lambda *a: calls.append(1))
    try:
        FeatureExtractor(pipe, layers=["down_blocks.1", "up_blocks.1"], timesteps=[11])(_image())
    finally:
        h.remove()
    assert calls == []


def test_bad_arguments_are_named(pipe):
    from dragon_widgets.inspect import FeatureExtractor

    with pytest.raises(ValueError, match="layers"):
        FeatureExtractor(pipe, layers=["up_blocks.7"])
    with pytest.raises(ValueError, match="timesteps"):
        FeatureExtractor(pipe, timesteps=[1000])
    with pytest.raises(TypeError, match="image"):
        FeatureExtractor(pipe)(np.zeros((64, 64, 3), np.float32))


def test_explorer_on_any_two_images(pipe):
    from dragon_widgets.widgets.panels import CorrespondenceExplorer

    img = _image(5)
    ex = CorrespondenceExplorer.from_images(pipe, img, img.copy(), layers=["mid_block", "up_blocks.2"],
                                            timesteps=[101, 401], point=(40, 20))
    assert set(ex.results) == {(name, t) for name in ("mid_block", "up_blocks.2") for t in (101, 401)}
    for cr in ex.results.values():  # the same image with the same noise: every layer matches itself
        assert cr.match_cell == cr.query_cell and cr.score == pytest.approx(1.0, abs=1e-4)
    ex.set_point(3, 60)
    assert ex.results[("up_blocks.2", 101)].query_cell == (1, 30)


def test_sdxl_features_go_through_the_family():
    """An SDXL pipeline: the family adds pooled embeddings and time ids (the UNet fails without them)."""
    from dragon_widgets.inspect import FeatureExtractor
    from dragon_widgets.models.random_sd import random_sd_pipeline

    xl = random_sd_pipeline("sdxl-tiny")
    fx = FeatureExtractor(xl, timesteps=[101, 501])  # the sdxl preset's guidance layers
    assert fx.family.name == "sdxl" and fx.size == (128, 128) and fx.layers == ["up_blocks.0", "up_blocks.1"]
    feats = fx(_image())
    assert tuple(feats[("up_blocks.0", 101)].shape) == (32, 8, 8) and tuple(feats[("up_blocks.1", 501)].shape) == (32, 16, 16)
    assert all(torch.isfinite(v).all() for v in feats.values())
    with pytest.raises(TypeError, match="families"):
        FeatureExtractor(object())
