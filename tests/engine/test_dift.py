"""The one DIFT implementation: shapes, averaging and seeding, early stop, agreement with the inspector's
FeatureExtractor, independence from the pipeline's sampler, and bad arguments named."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from dragon_widgets.engine.dift import block_features, dift_features


@pytest.fixture(scope="module")
def pipe():
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    return random_embedded_pipeline(0)


def _image(seed=0, size=64):
    return (np.random.default_rng(seed).random((size, size, 3)) * 255).astype(np.uint8)


def test_one_image_gives_a_map_and_a_list_gives_a_batch(pipe):
    one = dift_features(pipe, _image(), t=261, layers=["up_blocks.1", "up_blocks.2"], ensemble=2)
    assert one.dtype == torch.float32 and tuple(one.shape) == (128 + 64, 32, 32)  # the latent grid (64 px / 2)
    # every block is unit length over its channels: two blocks → squared norm 2 per cell
    assert torch.allclose((one ** 2).sum(0), torch.full((32, 32), 2.0), atol=1e-4)
    both = dift_features(pipe, [_image(), _image(1)], t=261, layers=["up_blocks.1", "up_blocks.2"], ensemble=2)
    assert tuple(both.shape) == (2, 192, 32, 32) and torch.equal(both[0], one)
    stacked = dift_features(pipe, np.stack([_image(), _image(1)]), t=261, layers=["up_blocks.1", "up_blocks.2"],
                            ensemble=2)
    assert torch.equal(stacked, both)
    small = dift_features(pipe, _image(), layers="up_blocks.1", ensemble=1, grid=(8, 4))
    assert tuple(small.shape) == (128, 4, 8)


def test_seeds_and_ensembles(pipe):
    kw = dict(t=261, layers="up_blocks.2")
    a = dift_features(pipe, _image(), ensemble=3, seed=5, **kw)
    assert torch.equal(a, dift_features(pipe, _image(), ensemble=3, seed=5, **kw))  # must pass: same draws
    assert not torch.equal(a, dift_features(pipe, _image(), ensemble=3, seed=6, **kw))  # other draws
    assert not torch.equal(a, dift_features(pipe, _image(), ensemble=1, seed=5, **kw))  # fewer draws averaged
    pair = dift_features(pipe, [_image(), _image()], ensemble=3, seed=[5, 6], **kw)
    assert torch.equal(pair[0], a) and not torch.equal(pair[0], pair[1])  # one seed per image


def test_block_features_are_the_raw_outputs_the_inspector_sees(pipe):
    from dragon_widgets.inspect import FeatureExtractor

    img = _image(3)
    raw = block_features(pipe, img, t=[101, 501], layers=["mid_block", "up_blocks.2"], seed=7)
    fx = FeatureExtractor(pipe, layers=["mid_block", "up_blocks.2"], timesteps=[101, 501], seed=7)(img)
    assert raw.keys() == fx.keys() and all(torch.equal(raw[k], fx[k]) for k in raw)
    assert tuple(raw[("up_blocks.2", 101)].shape) == (64, 32, 32)
    # the DIFT map is those outputs, normalised (ensemble 1: the same single draw)
    fmap = dift_features(pipe, img, t=101, layers="up_blocks.2", ensemble=1, seed=7)
    expect = torch.nn.functional.normalize(raw[("up_blocks.2", 101)][None], dim=1)[0]
    assert torch.allclose(fmap, expect, atol=1e-6)


def test_the_forward_pass_stops_after_the_last_requested_block(pipe):
    calls = []
    h = pipe.unet.up_blocks[3].register_forward_hook(lambda *a: calls.append(1))
    try:
        dift_features(pipe, _image(), layers=["down_blocks.1", "up_blocks.1"], ensemble=2)
    finally:
        h.remove()
    assert calls == []


def test_noising_follows_the_training_schedule_whatever_the_pipelines_sampler():
    """SDXL ships an Euler scheduler, whose add_noise scales differently: the features must not depend on it."""
    from diffusers import DDIMScheduler

    from dragon_widgets.models.random_sd import random_sd_pipeline

    xl = random_sd_pipeline("sdxl-tiny")
    img = _image(2, 128)
    euler = dift_features(xl, img, t=261, ensemble=2)
    xl.scheduler = DDIMScheduler.from_config(xl.scheduler.config)
    assert torch.equal(euler, dift_features(xl, img, t=261, ensemble=2))
    assert torch.isfinite(euler).all() and euler.shape[0] == 64  # SDXL's guidance layers: up_blocks.0 and 1


def test_bad_arguments_are_named(pipe):
    img = _image()
    with pytest.raises(ValueError, match=r"layers must be a non-empty subset of \['down_blocks.0'"):
        dift_features(pipe, img, layers="up_blocks.9")
    with pytest.raises(ValueError, match=r"t must be an integer timestep .* \[0, 1000\)"):
        dift_features(pipe, img, t=1000)
    with pytest.raises(ValueError, match="t must be one integer timestep"):
        dift_features(pipe, img, t=[1, 2])
    with pytest.raises(ValueError, match="ensemble must be an integer >= 1"):
        dift_features(pipe, img, ensemble=0)
    with pytest.raises(ValueError, match=r"seed must be an integer or one integer per image \(2\)"):
        dift_features(pipe, [img, img], seed=[1])
    with pytest.raises(ValueError, match="images must share one size"):
        dift_features(pipe, [img, _image(size=32)])
    with pytest.raises(ValueError, match="multiples of 2: pass size"):
        dift_features(pipe, _image(size=63))
    assert tuple(dift_features(pipe, _image(size=63), ensemble=1, size=(64, 64)).shape[1:]) == (32, 32)
    with pytest.raises(TypeError, match=r"images must be a uint8 array or PIL image, got dtype float32"):
        dift_features(pipe, img.astype(np.float32))
    with pytest.raises(TypeError, match=r"images\[1\] must be a PIL image"):
        dift_features(pipe, [img, "cat.png"])
    with pytest.raises(ValueError, match="grid must be"):
        dift_features(pipe, img, grid=(0, 4))
    with pytest.raises(TypeError, match="families"):
        dift_features(object(), img)
