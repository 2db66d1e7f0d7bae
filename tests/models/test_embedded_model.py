"""The shipped embedded model: offline loading through from_pretrained, size budget, codec, tokenizer,
fixed-seed generation and inversion quality."""

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.core.psnr import psnr
from dragon_widgets.core.scenes import CAPTION_WORDS, caption, render, sample_scene, to_uint8
from dragon_widgets.engine.pipeline import EMBEDDED_DIR
from dragon_widgets.models.build import ARCHITECTURES

pytestmark = pytest.mark.embedded  # the trained weights themselves


@pytest.fixture(scope="module")
def pipe():
    return dw.load_pipeline()


def test_loads_offline_with_the_stable_diffusion_classes(pipe, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    p = dw.load_pipeline()
    assert type(p).__name__ == "StableDiffusionPipeline"
    assert type(p.unet).__name__ == "UNet2DConditionModel" and type(p.text_encoder).__name__ == "CLIPTextModel"
    assert type(p.tokenizer).__name__.startswith("CLIPTokenizer") and type(p.vae).__name__ == "PixelUnshuffleAutoencoder"
    # one of the embedded architectures (models/build.py: v1's SD decoder layout, or v2's without full-resolution
    # attention), so that the engine's embedded preset selects its layers (tests/engine/test_families.py)
    ups = tuple(type(b).__name__ for b in p.unet.up_blocks)
    assert ups in {tuple(a["up_block_types"]) for a in ARCHITECTURES.values()}
    assert tuple(p.unet.config.up_block_types) == ups and ups[0] == "UpBlock2D"
    assert p.scheduler.config.prediction_type == "v_prediction"
    assert dw.DragonEditor(p).preset.name == "embedded"


def test_weights_are_safetensors_within_budget():
    files = list(EMBEDDED_DIR.rglob("*"))
    assert not [f for f in files if f.suffix in (".bin", ".pt", ".ckpt")]
    total = sum(f.stat().st_size for f in files if f.is_file())
    assert total <= 30 * 2**20, f"embedded model is {total / 2**20:.1f} MiB"
    assert (EMBEDDED_DIR / "README.md").exists(), "the model card sits next to the weights"


def test_codec_is_lossless(pipe):
    x = torch.rand(1, 3, 64, 48) * 2 - 1
    z = pipe.vae.encode(x).latent_dist.mode()
    assert z.shape == (1, 12, 32, 24)
    assert torch.equal(pipe.vae.decode(z).sample, x)


def test_captions_tokenize_without_unknown_tokens_and_fit_the_context(pipe):
    tok = pipe.tokenizer
    words = set()
    for w in CAPTION_WORDS:
        ids = tok(w).input_ids
        assert tok.unk_token_id not in ids[1:-1], w
        assert tok.decode(ids[1:-1]).strip() == w
        words.add(len(ids) == 3)
    assert True in words  # most words are single tokens (BPE merges of the caption vocabulary)
    for n in (1, 2, 3):
        text = caption(sample_scene(np.random.default_rng(n), n))
        ids = tok(text).input_ids
        assert len(ids) <= tok.model_max_length, (text, len(ids))
        assert tok.decode(ids[1:-1]).strip() == text


def test_fixed_seed_generation_is_reproducible(pipe):
    ed = dw.DragonEditor(pipe)
    a = ed.generate("a red circle on a blue background", seed=7)
    b = ed.generate("a red circle on a blue background", seed=7)
    c = ed.generate("a red circle on a blue background", seed=8)
    assert a.image.size == (64, 64)
    assert np.array_equal(np.asarray(a.image), np.asarray(b.image))
    assert not np.array_equal(np.asarray(a.image), np.asarray(c.image))


def test_inversion_reconstructs_scenes(pipe):
    """The engine's inversion (one fixed-point refinement per step in the embedded preset) is near exact;
    the classic DDIM inversion of the same model drifts (the ≥ 30 dB target is reported in RESULTS.md)."""
    rng = np.random.default_rng(123)
    imgs = [to_uint8(render(sample_scene(rng), 64)[0]) for _ in range(2)]
    means = {}
    for refine in (0, 1):
        ed = dw.DragonEditor(pipe, preset=dw.get_preset("embedded").replace(inversion_refine=refine))
        vals = []
        for img in imgs:
            vals.append(psnr(ed.reconstruct(ed.invert(img)), img))
        means[refine] = np.mean(vals)
    assert means[1] >= 35 and means[1] > means[0] + 5, means
