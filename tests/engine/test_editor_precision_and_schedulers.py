"""The editor on pipelines unlike the test default: half-precision UNets (the GPU path in float16/bfloat16,
run here on CPU) and pipelines that ship a non-DDIM scheduler (SD-1.5 on the hub ships PNDM)."""

import numpy as np
import pytest
import torch

import dragon_widgets as dw


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16], ids=["float16", "bfloat16"])
@pytest.mark.slow  # every mode in half precision: slow on a CPU
def test_every_mode_runs_on_a_half_precision_pipeline(tiny_sd_dir, sd_preset, scene_image, dtype):
    pipe = dw.load_pipeline(str(tiny_sd_dir), dtype=dtype)
    assert pipe.unet.dtype == dtype
    ed = dw.DragonEditor(pipe, preset=sd_preset.replace(bank_dtype="float16"))
    img, m = scene_image
    src = ed.invert(img)
    assert src.bank.z_T.dtype == torch.float16  # preset.bank_dtype
    edits = [dw.Move(mask=m, offset=(40, 10)), dw.Drag(points=[((60, 45), (90, 50))], mask=None),
             dw.Drag(points=[((60, 45), (90, 50))], content=False),
             dw.ReplaceAppearance(mask=m, reference=img[:, ::-1].copy(), reference_mask=m[:, ::-1].copy()),
             dw.Paste(reference=img, reference_mask=m, offset=(80, 5))]
    for edit in edits:  # every step after the first guided one used to hand a float32 latent to the half UNet
        res = ed.edit(src, edit, seed=0, record={"energies", "gradients", "previews"})
        out = np.asarray(res.image)
        assert out.shape == (100, 200, 3) and out.std() > 0
        assert all(np.isfinite(v) for s in res.trace.guided_steps() for v in s.energies.values())
    gen = ed.generate("a red circle", seed=0, size=(128, 128))
    assert ed.reconstruct(gen).shape == gen.work_image.shape


def test_a_pndm_pipeline_edits_exactly_as_its_ddim_twin(tiny_sd_dir, tiny_editor, tiny_source, sd_preset, scene_image):
    from diffusers import PNDMScheduler

    pipe = dw.load_pipeline(str(tiny_sd_dir))
    pipe.scheduler = PNDMScheduler.from_config(pipe.scheduler.config, skip_prk_steps=True)
    probe = PNDMScheduler.from_config(pipe.scheduler.config)
    probe.set_timesteps(sd_preset.num_steps)
    assert len(probe.timesteps) != sd_preset.num_steps  # PNDM's own schedule would not fit the method
    ed = dw.DragonEditor(pipe, preset=sd_preset)
    img, m = scene_image
    src = ed.invert(img, prompt="a red square")
    assert src.bank.num_steps == sd_preset.num_steps and src.bank.timesteps == tiny_source.bank.timesteps
    assert torch.equal(src.bank.z_T, tiny_source.bank.z_T)
    edit = dw.Move(mask=m, offset=(40, 10))
    assert np.array_equal(np.asarray(ed.edit(src, edit, seed=0).image),
                          np.asarray(tiny_editor.edit(tiny_source, edit, seed=0).image))
    assert isinstance(pipe.scheduler, PNDMScheduler)  # the user's pipeline is left as it was


def test_a_zero_terminal_snr_model_generates_inverts_and_edits_without_nan(embedded_preset):
    """rescale_betas_zero_snr gives ᾱ = 0 at t = 999, where x̂₀ divides by √ᾱ: the sampler floors ᾱ at 2⁻²⁴, so the
    first step's x̂₀ is the v-prediction's −v (as diffusers' own DDIM step computes it) instead of NaN."""
    from diffusers import DDIMScheduler

    from dragon_widgets.engine.editor import ALPHA_FLOOR
    from dragon_widgets.models.build import SCHEDULES
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    pipe = random_embedded_pipeline(0)
    pipe.scheduler = DDIMScheduler(**SCHEDULES["zsnr"])
    assert float(pipe.scheduler.alphas_cumprod[-1]) == 0.0
    ed = dw.DragonEditor(pipe, preset=embedded_preset)
    model = ed._model()
    assert model.timesteps[0] == 999 and model.alpha(999) == ALPHA_FLOOR
    gen = ed.generate("", seed=0)
    z = torch.randn(1, 12, 32, 32, generator=torch.Generator().manual_seed(0))
    v = pipe.unet(z, 999, encoder_hidden_states=ed.embed("").cond).sample
    eps = model.eps(v, z, model.alpha(999))
    from dragon_widgets.engine.sampler import predict_x0

    assert torch.allclose(predict_x0(z, eps, model.alpha(999)), -v, atol=5e-3)  # float32 rounding ÷ 2⁻¹²
    img = np.asarray(gen.image)
    assert np.isfinite(img).all() and img.std() > 0
    mask = np.zeros((64, 64), bool)
    mask[10:20, 10:20] = True
    res = ed.edit(ed.invert(img), dw.Move(mask=mask, offset=(20, 20)), seed=0)
    assert np.asarray(res.image).std() > 0
