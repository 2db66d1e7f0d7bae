"""Random SD-layout pipelines used by tests and benchmarks: the right classes, layout and sizes."""

import pytest
import torch

from dragon_widgets.models.random_sd import SIZES, random_embedded_pipeline, random_sd_pipeline


def test_tiny_has_sd_classes_and_decoder_layout_and_is_seeded():
    a, b = random_sd_pipeline("tiny", seed=3), random_sd_pipeline("tiny", seed=3)
    assert type(a).__name__ == "StableDiffusionPipeline" and type(a.vae).__name__ == "AutoencoderKL"
    assert [type(u).__name__ for u in a.unet.up_blocks] == ["UpBlock2D"] + ["CrossAttnUpBlock2D"] * 3
    pa, pb = next(a.unet.parameters()), next(b.unet.parameters())
    assert torch.equal(pa, pb) and not torch.equal(pa, next(random_sd_pipeline("tiny", seed=4).unet.parameters()))
    assert a.tokenizer.model_max_length == a.text_encoder.config.max_position_embeddings


def test_sd15_size_matches_stable_diffusion_1_5():
    from diffusers import UNet2DConditionModel

    with torch.device("meta"):  # sizes only, no memory
        unet = UNet2DConditionModel(**SIZES["sd15"]["unet"])
    assert sum(p.numel() for p in unet.parameters()) == 859_520_964  # SD-1.5's UNet


def test_embedded_architecture_and_bad_size():
    pipe = random_embedded_pipeline(0)
    assert type(pipe.vae).__name__ == "PixelUnshuffleAutoencoder"
    with pytest.raises(ValueError, match="size"):
        random_sd_pipeline("huge")
