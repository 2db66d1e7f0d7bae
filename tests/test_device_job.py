"""scripts/device_job.sh, the one prepared device call, on the CPU: the training job brings back a pipeline
folder that loads, in files the device tool returns (≤ 8 files, each ≤ 16 MB)."""

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "device_job.sh"


def run_job(job: str, tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    full = dict(os.environ, PYTHON=sys.executable, WHEELS=str(tmp_path / "no_wheels"), OUT=str(tmp_path / "out"),
                RUN_DIR=str(tmp_path / "run"), **env)
    return subprocess.run(["bash", str(SCRIPT), job], env=full, capture_output=True, text=True, timeout=600)


@pytest.mark.slow
def test_training_job_returns_a_loadable_pipeline_in_few_small_files(tmp_path):
    r = run_job("train", tmp_path, DEVICE="cpu", ARCH="v1", MINUTES="0.1", ANNEAL="0", BATCH="2", WORKERS="1",
                WARMUP="1", CKPT_EVERY="100", EVAL="--no-eval", OMP_NUM_THREADS="1")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    out = tmp_path / "out"
    files = sorted(p for p in out.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"export.tar", "train.log", "log.jsonl"}
    assert len(files) <= 8 and all(p.stat().st_size <= 16 * 2**20 for p in files)
    with tarfile.open(out / "export.tar") as tar:
        tar.extractall(tmp_path / "back", filter="data")
    import dragon_widgets as dw

    pipe = dw.load_pipeline(str(tmp_path / "back" / "export"))
    assert pipe.unet.config.sample_size > 0
    assert '"ckpt": "' in (out / "log.jsonl").read_text()


def test_an_unknown_job_is_refused_by_name(tmp_path):
    for job in ("banana", ""):
        r = run_job(job, tmp_path)
        assert r.returncode == 2 and f"job must be 'train' or 'speed', got '{job}'" in r.stderr
