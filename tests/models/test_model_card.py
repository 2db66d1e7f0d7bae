"""The model card generator (models/model_card.py) on a small constructed training run."""

from __future__ import annotations

import json

import pytest

from dragon_widgets.models import model_card
from dragon_widgets.models.build import ARCHITECTURES, SCHEDULER_CONFIG


def _run(tmp_path, eval_=True):
    run, model = tmp_path / "run", tmp_path / "export"
    run.mkdir(parents=True)
    rows = [dict(step=s, loss=round(0.1 / (s / 50), 5), lr=1e-3, s_per_step=2.0) for s in range(50, 651, 50)]
    ckpts = {200: dict(ckpt="200", step=200, minutes=7.0, inversion_psnr=30.0),
             300: dict(ckpt="300", step=300, minutes=10.0, inversion_psnr=27.5),
             "300f": dict(ckpt="300-final", step=300, minutes=10.1, inversion_psnr=27.5),
             500: dict(ckpt="500-final", step=500, minutes=16.5, inversion_psnr=25.25),
             650: dict(ckpt="650", step=650, minutes=22.0, inversion_psnr=24.0)}  # after the export: not in the card
    lines = []
    for r in rows:
        lines.append(json.dumps(r))
        for key in (r["step"], f"{r['step']}f"):
            if key in ckpts:
                lines.append(json.dumps(ckpts[key]))
    lines.insert(3, '{"step": 175, "loss": 0.0')  # a line cut off when a run was killed mid-write
    (run / "log.jsonl").write_text("\n".join(lines) + "\n")
    (run / "args.json").write_text(json.dumps(dict(out="runs/x", export=None, minutes=30.0, batch=32, lr=0.001,
                                                   warmup=300, rewarm=True, ema=0.999, caption_dropout=0.3,
                                                   min_snr=5.0, eval=eval_, threads=1, bf16=False, arch="v2",
                                                   world="train", device="cpu")))
    for sub, cfg in (("unet", dict(ARCHITECTURES["v2"])), ("scheduler", dict(SCHEDULER_CONFIG))):
        (model / sub).mkdir(parents=True)
        name = "config.json" if sub == "unet" else "scheduler_config.json"
        (model / sub / name).write_text(json.dumps(cfg))
    (model / "training_state.json").write_text(json.dumps(dict(steps=500, minutes=16.5, inversion_psnr=25.25)))
    from PIL import Image

    for step in (300, 500):  # the run's sample grids; the card shows the exported step's
        Image.new("RGB", (8, 4), (step // 2, 0, 0)).save(run / f"samples_{step:06d}.png")
        (run / f"samples_{step:06d}.txt").write_text(f"a red circle at {step} on a gray background\n\n\n")
    return run, model


def test_the_card_says_steps_segments_loss_hardware_and_command(tmp_path):
    run, model = _run(tmp_path)
    card = model_card.build_card(run, model, hardware="a 2-core test CPU", notes="Unfinished: a test.")
    assert "| steps | 500 (batch 32: 16,000 scenes) |" in card
    assert "16.5 min wall clock × 1 thread" in card and "in 2 segments" in card
    assert "| hardware | a 2-core test CPU |" in card
    # the loss is the exported step's (rows after step 500 belong to a later checkpoint), the first row's too
    assert "| final loss | 0.0100 (mean of the 50 steps to step 500; 0.1000 at step 50) |" in card
    assert "| 1 | 0 → 300 | 10.1 |" in card and "| 2 | 300 → 500 | 16.5 |" in card and "| 3 |" not in card
    assert "Checkpoints (`log.jsonl`): 200 (30.0 dB), 300 (27.5 dB), 500 (25.2 dB)." in card  # 300 once, no 650
    assert "architecture 'v2'" in card and "**v_prediction**" in card and "World `train`" in card
    assert "caption dropout 0.3" in card and "## Notes\n\nUnfinished: a test." in card
    command = card.split("```\n")[1]
    assert command.startswith("python -m dragon_widgets.models.train --out runs/x --minutes 30.0")
    assert "--rewarm" in command and "--eval" in command and "--no-bf16" in command and "--export" not in command
    assert "--no-eval" in model_card.build_card(*_run(tmp_path / "b", eval_=False), hardware="x")


def test_write_card_writes_the_card_and_the_loss_curve_png(tmp_path):
    run, model = _run(tmp_path)
    out = tmp_path / "card"
    path = model_card.main(["--run", str(run), "--model", str(model), "--hardware", "h", "--out", str(out)])
    assert path == out / "README.md" and "![loss curve](loss_curve.png)" in path.read_text()
    png = (out / "loss_curve.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000
    from PIL import Image

    assert Image.open(out / "samples.png").getpixel((0, 0)) == (250, 0, 0)  # step 500's grid, not step 300's
    assert (out / "samples.txt").read_text().startswith("a red circle at 500")
    assert "## Samples" in path.read_text() and "1. a red circle at 500 on a gray background\n" in path.read_text()


def test_bad_runs_are_refused_with_what_is_missing(tmp_path, capsys):
    run, model = _run(tmp_path)
    (run / "args.json").unlink()
    with pytest.raises(SystemExit):
        model_card.main(["--run", str(run), "--model", str(model), "--hardware", "h"])
    err = capsys.readouterr().err
    assert "--run" in err and "has no args.json" in err
    (run / "log.jsonl").write_text('{"ckpt": "10", "step": 10, "minutes": 1.0}\n')
    with pytest.raises(ValueError, match="has no loss rows"):
        model_card.read_log(run / "log.jsonl")


def _curve_row(h, move, invented, rt_min):
    return dict(cpu_hours=h, step=int(1000 * h), invented_rate=invented, captions_complete=0.4,
                kinds={"move": dict(success=move), "drag": dict(success=0.1)},
                roundtrip={"scenes": dict(min=rt_min), "backgrounds": dict(min=rt_min + 5)})


def test_the_card_plots_and_tabulates_the_learning_curve(tmp_path):
    import json

    run, model = _run(tmp_path)
    curve = tmp_path / "curve.json"
    curve.write_text(json.dumps([_curve_row(8.0, 0.6, 0.1, 36.0), _curve_row(4.0, 0.4, 0.25, 31.5)]))
    path = model_card.write_card(run, model, hardware="cpu", curve=curve)
    card = path.read_text()
    assert "## Learning curve" in card and (path.parent / model_card.CURVE_PNG).stat().st_size > 1000
    rows = [line for line in card.splitlines() if line.startswith("| 4.0 |") or line.startswith("| 8.0 |")]
    assert rows[0].startswith("| 4.0 | 4,000 | 0.40 |") and "| 25 | 31.5 / 36.5 | 40% |" in rows[0]
    assert rows[1].startswith("| 8.0 |") and "| 10 | 36.0 / 41.0 |" in rows[1]
    curve.write_text(json.dumps({"not": "a list"}))
    with pytest.raises(ValueError, match="must be a JSON list of rows with 'cpu_hours'"):
        model_card.write_card(run, model, hardware="cpu", curve=curve)
