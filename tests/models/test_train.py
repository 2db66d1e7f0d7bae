"""The trainer (not the training run): learning-rate schedule, seed reproducibility, exact resume, export."""

import json

import pytest
import torch

from dragon_widgets.models import train

# two tiny steps, no checkpoint until the end of the segment; the warm-up spans the steps so that
# a wrong learning rate after resuming changes the weights
ARGS = ["--batch", "2", "--threads", "1", "--warmup", "4", "--ckpt-every-min", "1000", "--minutes", "30"]


def run(out, steps, *extra):
    train.main(["--out", str(out), "--max-steps", str(steps), *ARGS, *extra])
    return torch.load(out / "checkpoint.pt", weights_only=False)


def same_weights(a, b):
    return all(torch.equal(a[k][n], b[k][n]) for k in ("unet", "ema_unet", "te") for n in a[k])


def test_anneal_factor_is_flat_then_cosine_to_the_floor():
    assert train.anneal_factor(10, 100, 0) == 1.0
    assert train.anneal_factor(50, 100, 40) == 1.0  # before the last 40 s
    assert train.anneal_factor(80, 100, 40) == pytest.approx(0.05 + 0.95 * 0.5)  # half-way down the cosine
    assert train.anneal_factor(100, 100, 40) == pytest.approx(0.05)
    assert train.anneal_factor(500, 100, 40) == pytest.approx(0.05)


@pytest.mark.slow
def test_training_is_reproducible_resumes_exactly_and_exports_a_loadable_pipeline(tmp_path):
    import dragon_widgets as dw

    whole = run(tmp_path / "whole", 2, "--export", str(tmp_path / "export"))
    assert whole["step"] == 2
    again = run(tmp_path / "again", 2, "--no-eval")
    assert same_weights(whole, again), "the same seed must give the same weights"

    run(tmp_path / "resumed", 1, "--no-eval")
    resumed = run(tmp_path / "resumed", 2, "--no-eval")
    assert resumed["step"] == 2 and same_weights(whole, resumed), "resuming must continue exactly"

    run(tmp_path / "rewarmed", 1, "--no-eval")
    rewarmed = run(tmp_path / "rewarmed", 2, "--no-eval", "--rewarm")
    assert rewarmed["warm_from"] == 1 and not same_weights(whole, rewarmed)

    log = [json.loads(line) for line in (tmp_path / "whole" / "log.jsonl").read_text().splitlines()]
    assert log[-1]["ckpt"] == "2-final" and log[-1]["inversion_psnr"] > 0
    assert (tmp_path / "whole" / "samples_000002.png").exists()
    state = json.loads((tmp_path / "export" / "training_state.json").read_text())
    assert state["steps"] == 2
    pipe = dw.load_pipeline(str(tmp_path / "export"))
    assert pipe.scheduler.config.prediction_type == "v_prediction"
    shipped = pipe.unet.state_dict()  # the EMA weights, in fp16
    assert all(torch.allclose(shipped[n].float(), w.float(), atol=1e-2, rtol=1e-2) for n, w in whole["ema_unet"].items())
    unevaluated = [json.loads(line) for line in (tmp_path / "again" / "log.jsonl").read_text().splitlines()]
    assert unevaluated[-1]["inversion_psnr"] is None  # --no-eval: no figure, and valid JSON


def test_parallel_data_workers_give_the_same_batches():
    from dragon_widgets.models.train import batches

    kw = dict(seed=3, batch=2, drop=0.3, world="train")
    serial = batches(5, 0, **kw)
    parallel = batches(5, 2, **kw)
    for _ in range(3):
        (xa, ca), (xb, cb) = next(serial), next(parallel)
        assert torch.equal(xa, xb) and ca == cb


@pytest.mark.slow
def test_a_run_carries_over_through_the_resume_file(tmp_path):
    resume = tmp_path / "carry" / "resume.safetensors"
    first = run(tmp_path / "machine1", 1, "--no-eval", "--resume-file", str(resume))
    r = train.read_resume_file(resume)
    assert r["step"] == 1 and r["args"]["arch"] == "v2"
    assert all(torch.allclose(r["ema_unet"][n], w.float(), atol=1e-2, rtol=1e-2) for n, w in first["ema_unet"].items())
    # a new machine: no checkpoint in --out, so the run starts from the file and re-warms the learning rate
    second = run(tmp_path / "machine2", 2, "--no-eval", "--resume-file", str(resume))
    assert second["step"] == 2 and second["warm_from"] == 1
    assert train.read_resume_file(resume)["step"] == 2


def test_the_zero_terminal_snr_schedule_ends_in_pure_noise_and_samples_from_t_999():
    from diffusers import DDIMScheduler

    from dragon_widgets.models.build import build_components

    lin, zsnr = build_components("v2")["scheduler"], build_components("v2", "zsnr")["scheduler"]
    assert float(lin.alphas_cumprod[-1]) > 1e-5
    assert float(zsnr.alphas_cumprod[-1]) < 1e-6  # diffusers keeps 2**-24 instead of exactly 0
    s = DDIMScheduler.from_config(zsnr.config)
    s.set_timesteps(50)
    assert int(s.timesteps[0]) == 999
    with pytest.raises(ValueError, match="schedule one of"):
        build_components("v2", "cosine")


@pytest.mark.slow
def test_a_run_refuses_to_resume_with_another_schedule(tmp_path):
    run(tmp_path / "r", 1, "--no-eval", "--world", "mixed", "--min-snr-floor", "0.05")
    with pytest.raises(SystemExit, match="--schedule linear, not zsnr"):
        run(tmp_path / "r", 2, "--no-eval", "--schedule", "zsnr")
