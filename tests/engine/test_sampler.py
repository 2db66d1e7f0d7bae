import math

import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine.sampler import (ModelAdapter, ddim_step, ddim_update, inversion_step, predict_x0,
                                           schedule_is_guided, schedule_rounds, schedule_sde)


def adapter(pred, fn=None):
    ac = torch.linspace(0.9999, 0.01, 1000)
    return ModelAdapter(unet=fn, alphas_cumprod=ac, final_alpha=1.0, prediction_type=pred, timesteps=[900, 500, 100])


@pytest.mark.parametrize("pred", ["epsilon", "v_prediction", "sample"])
def test_eps_is_recovered_from_every_prediction_type(pred):
    g = torch.Generator().manual_seed(0)
    x0, n = torch.randn(2, 4, 3, 3, generator=g), torch.randn(2, 4, 3, 3, generator=g)
    a = 0.3
    z = math.sqrt(a) * x0 + math.sqrt(1 - a) * n
    out = {"epsilon": n, "v_prediction": math.sqrt(a) * n - math.sqrt(1 - a) * x0, "sample": x0}[pred]
    assert torch.allclose(adapter(pred).eps(out, z, a), n, atol=1e-5)


def test_deterministic_ddim_step_and_inversion_are_inverse_for_an_exact_model():
    g = torch.Generator().manual_seed(1)
    x0, n = torch.randn(1, 4, 3, 3, generator=g), torch.randn(1, 4, 3, 3, generator=g)

    class Exact:  # predicts the true noise of any latent on the line x0 + n
        def __call__(self, z, t, encoder_hidden_states=None, **kw):
            return type("O", (), {"sample": n})()

    m = adapter("epsilon", Exact())
    a_lo = 0.9
    z_lo = math.sqrt(a_lo) * x0 + math.sqrt(1 - a_lo) * n
    z_hi = inversion_step(m, z_lo, a_lo, 700, None)
    assert torch.allclose(z_hi, math.sqrt(m.alpha(700)) * x0 + math.sqrt(1 - m.alpha(700)) * n, atol=1e-5)
    assert torch.allclose(predict_x0(z_hi, n, m.alpha(700)), x0, atol=1e-5)
    assert torch.allclose(ddim_update(x0, n, m.alpha(700), a_lo, 0.0, 0.0), z_lo, atol=1e-5)
    assert torch.allclose(ddim_step(z_hi, n, m.alpha(700), a_lo), z_lo, atol=1e-5)


def test_stochastic_update_adds_sigma_scaled_noise_per_region():
    x0, eps, noise = torch.zeros(1, 1, 2, 2), torch.zeros(1, 1, 2, 2), torch.ones(1, 1, 2, 2)
    eta = torch.tensor([[[[0.0, 1.0], [0.0, 1.0]]]])
    out = ddim_update(x0, eps, 0.5, 0.8, eta, noise)
    sigma = math.sqrt((1 - 0.8) / (1 - 0.5)) * math.sqrt(1 - 0.5 / 0.8)
    assert torch.allclose(out[0, 0, :, 0], torch.zeros(2)) and torch.allclose(out[0, 0, :, 1], torch.full((2,), sigma))


def test_diffeditor_and_dragondiffusion_schedules():
    p = dw.get_preset("sd15")
    guided = [i for i in range(50) if schedule_is_guided(p, i)]
    assert guided == list(range(10)) + list(range(10, 30, 2)) and len(guided) == 20
    assert [i for i in range(50) if schedule_rounds(p, i) > 1] == [22, 24, 26, 28]
    assert sum(schedule_rounds(p, i) for i in guided) == 28  # 28 energy/gradient evaluations per edit
    assert [i for i in range(50) if schedule_sde(p, i)] == list(range(11, 20))
    d = p.replace(schedule="dragondiffusion")
    assert [i for i in range(50) if schedule_is_guided(d, i)] == list(range(30))
    assert not any(schedule_rounds(d, i) > 1 or schedule_sde(d, i) for i in range(50))


def test_refined_inversion_is_undone_by_the_ddim_step_for_a_latent_dependent_model():
    """Classic DDIM inversion drifts when ε depends on the latent; fixed-point refinement removes the drift."""
    g = torch.Generator().manual_seed(2)
    z_lo = torch.randn(1, 4, 3, 3, generator=g)

    class Curved:  # ε depends on the latent and the timestep, like a real model
        def __call__(self, z, t, encoder_hidden_states=None, **kw):
            return type("O", (), {"sample": 0.8 * torch.tanh(z) + 0.001 * t})()

    m = adapter("epsilon", Curved())
    t = 700
    a_lo, a_hi = m.alpha(600), m.alpha(t)  # one step of a 10-step schedule

    def back(z_hi):  # the deterministic DDIM step the sampler takes from t
        eps = m.eps(m(z_hi, t, None), z_hi, a_hi)
        return ddim_step(z_hi, eps, a_hi, a_lo)

    errors = [float((back(inversion_step(m, z_lo, a_lo, t, None, refine=k)) - z_lo).abs().max()) for k in (0, 1, 4)]
    assert errors[0] > 1e-2
    assert errors[1] < errors[0] / 5
    assert errors[2] < 1e-4


def test_accelerated_inversion_converges_where_the_plain_iteration_oscillates():
    """ε changing faster than one step contracts: the fixed-point map overshoots by 1.5× with alternating sign, so
    plain iterations blow up; Anderson acceleration solves the step; a tolerance stops once the latent settles."""
    g = torch.Generator().manual_seed(3)
    z_lo = torch.randn(1, 4, 3, 3, generator=g)
    t, t_lo = 500, 100
    probe = adapter("epsilon")
    a_lo, a_hi = probe.alpha(t_lo), probe.alpha(t)
    gain = math.sqrt(1 - a_hi) - math.sqrt(a_hi) * math.sqrt(1 - a_lo) / math.sqrt(a_lo)  # d step / d ε
    calls = []

    class Steep:  # ε = c·z + 0.3 with c·gain = -1.5
        def __call__(self, z, t, encoder_hidden_states=None, **kw):
            calls.append(1)
            return type("O", (), {"sample": (-1.5 / gain) * z + 0.3})()

    m = adapter("epsilon", Steep())

    def error(z_hi):
        eps = m.eps(m(z_hi, t, None), z_hi, a_hi)
        return float((ddim_step(z_hi, eps, a_hi, a_lo) - z_lo).abs().max())

    assert error(inversion_step(m, z_lo, a_lo, t, None, refine=6)) > error(inversion_step(m, z_lo, a_lo, t, None)) > 0.1
    assert error(inversion_step(m, z_lo, a_lo, t, None, refine=6, accelerate=True)) < 1e-4
    calls.clear()
    assert error(inversion_step(m, z_lo, a_lo, t, None, refine=30, tol=1e-5, accelerate=True)) < 1e-4
    assert len(calls) <= 5, "the tolerance stops the iterations once solved"


def test_embedded_preset_refines_its_inversion_and_sd15_keeps_the_official_step():
    assert dw.get_preset("sd15").inversion_refine == 0
    assert dw.get_preset("embedded").inversion_refine >= 1


def test_time_travel_renoise_evaluates_eps_at_the_latents_own_timestep():
    """Official re-noise: z_t = DDIM-inversion step of z_{t−1} with ε(z_{t−1}, t−Δ), i.e. at the lower timestep."""
    from dragon_widgets.engine.sampler import renoise_step

    g = torch.Generator().manual_seed(3)
    z = torch.randn(1, 4, 3, 3, generator=g)
    seen = []

    class Recording:
        def __call__(self, z, t, encoder_hidden_states=None, **kw):
            seen.append(int(t))
            return type("O", (), {"sample": 0.5 * z + 0.001 * t})()

    m = adapter("epsilon", Recording())
    out = renoise_step(m, z, 500, 900, None)
    assert seen == [500]
    assert torch.allclose(out, ddim_step(z, 0.5 * z + 0.5, m.alpha(500), m.alpha(900)))


def test_the_sampler_time_travels_from_the_next_timestep_back_to_the_current_one(tiny_sd, tiny_source, scene_image,
                                                                                  sd_preset, monkeypatch):
    from dragon_widgets.engine import sampler

    calls = []
    real = sampler.renoise_step
    monkeypatch.setattr(sampler, "renoise_step", lambda model, z, t_from, t_to, emb: calls.append((t_from, t_to)) or real(model, z, t_from, t_to, emb))
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset)
    ed.edit(tiny_source, dw.Move(mask=scene_image[1], offset=(40, 10)), seed=0)
    ts = tiny_source.bank.timesteps
    (step,) = sd_preset.time_travel_steps
    assert calls == [(ts[step + 1], ts[step])] * (sd_preset.time_travel_rounds - 1)


def test_deterministic_step_from_the_clean_level_alpha_one():
    """A scheduler with set_alpha_to_one starts inversion at ᾱ = 1: x̂₀ is the latent itself."""
    z, eps = torch.full((1, 1, 2, 2), 2.0), torch.full((1, 1, 2, 2), -1.0)
    assert torch.allclose(ddim_step(z, eps, 1.0, 0.36), 0.6 * z + 0.8 * eps)
