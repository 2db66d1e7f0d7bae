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


def test_sdxl_tiny_has_sdxl_classes_and_decoder_layout_and_is_seeded():
    a, b = random_sd_pipeline("sdxl-tiny", seed=3), random_sd_pipeline("sdxl-tiny", seed=3)
    assert type(a).__name__ == "StableDiffusionXLPipeline" and type(a.text_encoder_2).__name__ == "CLIPTextModelWithProjection"
    assert [type(u).__name__ for u in a.unet.up_blocks] == ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"]
    assert a.unet.config.addition_embed_type == "text_time"
    assert len(a.unet.up_blocks[0].attentions[0].transformer_blocks) == 2  # several per attention, as SDXL's 10
    assert a.unet.config.cross_attention_dim == a.text_encoder.config.hidden_size + a.text_encoder_2.config.hidden_size
    assert a.scheduler.config.set_alpha_to_one is False and a.scheduler.config.timestep_spacing == "leading"
    pa, pb = next(a.unet.parameters()), next(b.unet.parameters())
    assert torch.equal(pa, pb) and not torch.equal(pa, next(random_sd_pipeline("sdxl-tiny", seed=4).unet.parameters()))


def test_sdxl_size_matches_stable_diffusion_xl_base_on_the_meta_device():
    pipe = random_sd_pipeline("sdxl")
    assert type(pipe).__name__ == "StableDiffusionXLPipeline"
    assert all(p.device.type == "meta" for p in pipe.unet.parameters())
    assert sum(p.numel() for p in pipe.unet.parameters()) == 2_567_463_684  # SDXL base's UNet
    assert sum(p.numel() for p in pipe.vae.parameters()) == 83_653_863  # SDXL's (and SD's) VAE


def test_materialize_gives_a_meta_pipeline_working_random_weights(monkeypatch):
    from dragon_widgets.engine.families import family_of
    from dragon_widgets.models import random_sd

    monkeypatch.setattr(random_sd, "META_SIZES", ("sdxl-tiny",))
    pipe = random_sd.random_sd_pipeline("sdxl-tiny")
    assert next(pipe.unet.parameters()).device.type == "meta"
    random_sd.materialize(pipe, "cpu", torch.float32, seed=1)
    for m in (pipe.unet, pipe.vae, pipe.text_encoder, pipe.text_encoder_2):
        assert all(p.device.type == "cpu" and torch.isfinite(p).all() for p in m.parameters())
    ids = [m.position_ids for m in pipe.text_encoder.modules() if isinstance(getattr(m, "position_ids", None), torch.Tensor)]
    assert ids and all(torch.equal(i.reshape(-1), torch.arange(i.numel())) for i in ids)  # CLIP's buffer, rebuilt
    cond = family_of(pipe).encode_prompt(pipe, "a red square", (64, 64), "cpu")
    with torch.no_grad():
        out = pipe.unet(torch.randn(1, 4, 8, 8), 500, **cond.unet_kwargs(1)).sample
    assert out.shape == (1, 4, 8, 8) and torch.isfinite(out).all()
