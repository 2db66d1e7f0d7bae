"""The evaluator on cases whose answer is known: an unchanged image (each handle matches itself), a shifted image
(Mean Distance equals the shift), LPIPS with injected random AlexNet weights and without weights, CLIP on a random
tiny model, the offline default model, and the command line."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from dragon_widgets.batch.evaluate import EvalSettings, evaluate, match_handles, point_distances, upsample
from dragon_widgets.batch.lpips import ALEXNET_FILE, CHANNELS, LINEAR_FILE, AlexNetFeatures, LPIPSWeightsMissing, \
    find_weights, load_lpips

ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------------------- pure steps, exact answers
def test_matching_on_constructed_features_is_exact():
    g = torch.Generator().manual_seed(0)
    src = torch.randn(16, 20, 30, generator=g)
    handles = [(3, 4), (10.4, 12.6), (25, 19)]
    assert match_handles(src, src.clone(), handles) == [(3, 4), (10, 13), (25, 19)]
    shifted = torch.roll(src, shifts=(2, 5), dims=(1, 2))  # 5 px right, 2 px down
    found = match_handles(src, shifted, handles)
    assert found == [(8, 6), (15, 15), (0, 1)]  # the last wraps around the border: np.roll's own answer
    pairs = [((3, 4), (8, 6)), ((10, 13), (15, 15))]
    assert point_distances(pairs, found[:2]) == [0.0, 0.0]
    assert point_distances([((0, 0), (3, 4))], [(0, 0)]) == [5.0]


def test_upsampling_is_bilinear_to_the_image_size():
    f = torch.arange(4.0).view(1, 2, 2)
    up = upsample(f, (4, 4))
    assert up.shape == (1, 4, 4) and up[0, 0, 0] == 0 and up[0, 3, 3] == 3 and 0 < up[0, 1, 1] < up[0, 2, 2]


# --------------------------------------------------------------------------------------- LPIPS weights
def _random_lpips_weights(folder: Path, seed: int = 0) -> Path:
    torch.manual_seed(seed)
    folder.mkdir(parents=True, exist_ok=True)
    alex = {f"features.{k}": v for k, v in AlexNetFeatures().features.state_dict().items()}
    alex["classifier.1.weight"] = torch.zeros(4, 4)  # torchvision's file has the classifier too: ignored
    torch.save(alex, folder / ALEXNET_FILE)
    torch.save({f"lin{i}.model.1.weight": torch.rand(1, c, 1, 1) for i, c in enumerate(CHANNELS)},
               folder / LINEAR_FILE)
    return folder


def test_lpips_loads_weights_and_measures_distance(tmp_path):
    net = load_lpips(_random_lpips_weights(tmp_path / "w"))
    rng = np.random.default_rng(0)
    a = rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)
    b = np.clip(a.astype(int) + rng.integers(-60, 60, a.shape), 0, 255).astype(np.uint8)
    from dragon_widgets.batch.lpips import to_input

    with torch.no_grad():
        same = float(net(to_input(a), to_input(a)))
        diff = float(net(to_input(a), to_input(b)))
        back = float(net(to_input(b), to_input(a)))
    assert same == 0.0 and diff > 0 and abs(diff - back) < 1e-6
    assert to_input(a).shape == (1, 3, 224, 224)


def test_missing_or_wrong_lpips_weights_say_what_to_download(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.delenv("DRAGON_WIDGETS_LPIPS", raising=False)
    with pytest.raises(LPIPSWeightsMissing, match=r"alexnet-owt-7be5be79.pth was not found.*download.pytorch.org"):
        find_weights(tmp_path / "none")
    w = _random_lpips_weights(tmp_path / "w")
    monkeypatch.setenv("DRAGON_WIDGETS_LPIPS", str(w))
    assert find_weights() == (w / ALEXNET_FILE, w / LINEAR_FILE)
    (w / LINEAR_FILE).unlink()
    with pytest.raises(LPIPSWeightsMissing, match="alex.pth was not found.*PerceptualSimilarity"):
        find_weights()
    torch.save({f"lin{i}.model.1.weight": torch.rand(1, 3, 1, 1) for i in range(5)}, w / LINEAR_FILE)
    with pytest.raises(ValueError, match=r"lin0.model.1.weight has shape \(1, 3, 1, 1\)"):
        load_lpips(w)
    (w / LINEAR_FILE).write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="cannot read the LPIPS weights"):
        load_lpips(w)


# --------------------------------------------------------------------------------------- with the embedded model
@pytest.fixture(scope="module")
def bench(tmp_path_factory):
    """Two ShapesBench drags in DragBench's layout, their unchanged copies as results, and a shifted set."""
    from dragon_widgets.bench.dragbench import export_shapesbench, write_sample
    from dragon_widgets.bench.tasks import make_task

    base = tmp_path_factory.mktemp("evaluate")
    folders = export_shapesbench(base / "data", "test", 2, ("drag",))
    for f in folders:
        out = base / "same" / f.parent.name / f.name
        out.mkdir(parents=True)
        shutil.copy(f / "original_image.png", out / "dragged_image.png")
    shift = 8
    for i in range(2):  # handle = target at shape centres, the whole image moved `shift` px right
        task = make_task("move", "test", i)
        pts = [((round(s.cx * 64 - 0.5), round(s.cy * 64 - 0.5)),) * 2 for s in task.scene.shapes
               if 4 <= s.cx * 64 < 64 - 4 - shift]
        write_sample(base / "shift" / "data" / "c" / f"s{i}", task.input_image, "", pts)
        out = base / "shift" / "res" / "c" / f"s{i}"
        out.mkdir(parents=True)
        Image.fromarray(np.roll(task.input_image, shift, axis=1)).save(out / "dragged_image.png")
    return base, shift


@pytest.mark.embedded  # DIFT features of the trained embedded model
def test_an_unchanged_image_matches_each_handle_to_itself(bench, embedded_pipe, tmp_path):
    base, _shift = bench
    s = EvalSettings(dift_model="embedded", dift_ensemble=4, lpips_weights=str(_random_lpips_weights(tmp_path)))
    r = evaluate(base / "data", base / "same", s, dift_pipe=embedded_pipe)
    pts = [p for row in r["samples"] for p in row["points"]]
    assert r["n_samples"] == 2 and r["n_points"] == len(pts) == 2
    for p in pts:  # found at the handle (the pixel grid's rounding: within one pixel)
        assert max(abs(p["found"][0] - p["handle"][0]), abs(p["found"][1] - p["handle"][1])) <= 1
    drawn = np.mean([np.hypot(p["target"][0] - p["handle"][0], p["target"][1] - p["handle"][1]) for p in pts])
    assert abs(r["mean_distance"] - drawn) <= 1.0  # nothing moved: MD is the drawn drag length
    assert r["image_fidelity"] == 1.0 and r["lpips"] == 0.0 and r["missing"] == [] and r["errors"] == []
    assert r["settings"]["dift_t"] == 261 and r["settings"]["dift_layer"] == "up_blocks.1"
    again = evaluate(base / "data", base / "same", s, dift_pipe=embedded_pipe)
    assert again["mean_distance"] == r["mean_distance"]  # seeded: the same figure


@pytest.mark.embedded  # DIFT features of the trained embedded model
def test_a_shifted_image_gives_a_mean_distance_equal_to_the_shift(bench, embedded_pipe):
    base, shift = bench
    r = evaluate(base / "shift" / "data", base / "shift" / "res", EvalSettings(dift_model="embedded", lpips=False),
                 dift_pipe=embedded_pipe)
    assert r["n_points"] >= 3 and abs(r["mean_distance"] - shift) <= 1.5
    assert r["image_fidelity"] is None and any("--no-lpips" in n for n in r["notes"])


@pytest.mark.embedded  # DIFT features of the trained embedded model
def test_missing_results_and_unreadable_samples_are_listed_not_measured(bench, embedded_pipe, tmp_path,
                                                                        dragbench_factory):
    data = dragbench_factory(tmp_path / "data", n=1)  # one drag and one hostile sample
    res = tmp_path / "res"
    for f in ("test-drag-000", "zz-hostile"):
        (res / "shapes_drag" / f).mkdir(parents=True)
        shutil.copy(data / "shapes_drag" / f / "original_image.png", res / "shapes_drag" / f / "dragged_image.png")
    shutil.copytree(data / "shapes_drag" / "test-drag-000", data / "shapes_drag" / "test-drag-001")
    r = evaluate(data, res, EvalSettings(dift_model="embedded", dift_ensemble=2, lpips=False), dift_pipe=embedded_pipe)
    assert r["n_samples"] == 1 and r["missing"] == ["shapes_drag/test-drag-001"]
    assert r["errors"][0]["id"] == "shapes_drag/zz-hostile" and "refused to unpickle" in r["errors"][0]["error"]
    assert not (tmp_path / "pwned").exists()


def test_any_pipeline_of_the_sd_classes_gives_features(bench):
    from dragon_widgets.batch.dift import dift_features
    from dragon_widgets.models.random_sd import random_sd_pipeline

    pipe = random_sd_pipeline("tiny", 0)
    base, _shift = bench
    img = np.asarray(Image.open(next((base / "data").glob("*/*/original_image.png"))))
    f = dift_features(pipe, img, "a red square", t=261, layer="up_blocks.1", ensemble=2, seed=0)
    assert f.ndim == 3 and torch.isfinite(f).all()
    r = evaluate(base / "data", base / "same", EvalSettings(dift_model="random", dift_ensemble=2, lpips=False),
                 dift_pipe=pipe)
    assert r["n_points"] == 2 and r["mean_distance"] is not None


@pytest.mark.embedded  # DIFT features of the trained embedded model
def test_clip_similarity_with_a_random_tiny_clip(bench, embedded_pipe, tmp_path):
    from transformers import CLIPConfig, CLIPModel

    torch.manual_seed(0)
    cfg = CLIPConfig(text_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1, num_attention_heads=2,
                                      max_position_embeddings=16),
                     vision_config=dict(hidden_size=32, intermediate_size=37, num_hidden_layers=1,
                                        num_attention_heads=2, image_size=32, patch_size=8), projection_dim=16)
    CLIPModel(cfg).save_pretrained(tmp_path / "clip")
    base, _shift = bench
    r = evaluate(base / "data", base / "same", EvalSettings(dift_model="embedded", dift_ensemble=1, lpips=False,
                                                            clip=True, clip_model=str(tmp_path / "clip")),
                 dift_pipe=embedded_pipe)
    assert abs(r["clip_similarity"] - 1.0) < 1e-5
    r = evaluate(base / "data", base / "same", EvalSettings(dift_model="embedded", dift_ensemble=1, lpips=False,
                                                            clip=True, clip_model=str(tmp_path / "no-clip")),
                 dift_pipe=embedded_pipe)
    assert r["clip_similarity"] is None and any("cannot load the CLIP model" in n for n in r["notes"])


def test_the_default_dift_model_offline_says_what_to_download(bench, monkeypatch):
    from dragon_widgets.engine import ModelNotAvailableError

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(bench[0] / "hf-empty"))
    base, _shift = bench
    with pytest.raises(ModelNotAvailableError, match="huggingface-cli download stabilityai/stable-diffusion-2-1"):
        evaluate(base / "data", base / "same", EvalSettings(lpips=False))


@pytest.mark.slow  # two fresh processes load the trained model and run the evaluator end to end
@pytest.mark.embedded
def test_the_command_line_prints_one_json_object(bench, tmp_path):
    base, _shift = bench
    env = {"OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin",
           "TORCH_HOME": str(tmp_path / "torch"), "HF_HUB_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "dragon_widgets.batch", "eval", str(base / "data"), str(base / "same"), "--json",
           "--dift-model", "embedded", "--dift-ensemble", "2", "--lpips-weights", str(tmp_path / "none"),
           "--output", str(tmp_path / "eval.json")]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    report = json.loads(r.stdout)
    assert report == json.loads((tmp_path / "eval.json").read_text())
    assert report["image_fidelity"] is None and any("alexnet-owt-7be5be79.pth" in n for n in report["notes"])
    assert isinstance(report["mean_distance"], float) and len(report["samples"]) == 2
    assert report["samples"][0]["id"] == "shapes_drag/test-drag-000"
    table = subprocess.run(cmd[:6] + ["--dift-model", "embedded", "--no-lpips", "--dift-ensemble", "1"], env=env,
                           capture_output=True, text=True, timeout=600)
    assert table.returncode == 0 and "shapes_drag" in table.stdout and "MD (px)" in table.stdout
    bad = subprocess.run([sys.executable, "-m", "dragon_widgets.batch", "eval", str(tmp_path), str(tmp_path)],
                         env=env, capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and bad.stderr.startswith("error: no DragBench samples")
