"""Two processes through torchrun (gloo on the CPU): the jobs are split between the ranks, each job runs once, and
every result records the rank that made it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dragon_widgets.batch.results import read_record

ROOT = Path(__file__).resolve().parents[2]


def _torchrun() -> list[str]:
    exe = Path(sys.executable).with_name("torchrun")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "torch.distributed.run"]


@pytest.mark.slow  # torchrun: two processes load the trained model and edit end to end
@pytest.mark.embedded
def test_two_processes_run_disjoint_jobs_and_record_their_rank(tmp_path, short_args):
    out = tmp_path / "out"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(ROOT), "CUDA_VISIBLE_DEVICES": ""}
    cmd = _torchrun() + ["--standalone", "--nproc_per_node", "2", "-m", "dragon_widgets.batch", "run",
                         "shapesbench:test:drag,move:2", "--out", str(out), "--preset", "embedded", "--no-metrics",
                         "--no-progress", "--sheet-max", "4", *short_args]
    r = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    ids = ["drag/test-drag-000", "drag/test-drag-001", "move/test-move-000", "move/test-move-001"]
    recs = {i: read_record(out / i) for i in ids}
    assert all(rec is not None and rec["status"] == "done" for rec in recs.values()), recs
    assert all(rec["world_size"] == 2 for rec in recs.values())
    by_rank = {rank: sorted(i for i, rec in recs.items() if rec["rank"] == rank) for rank in (0, 1)}
    assert by_rank == {0: ids[:2], 1: ids[2:]}  # split_between_processes: contiguous halves, no job twice
    summary = json.loads((out / "summary.json").read_text())
    per = summary["this_run"]["per_process"]
    assert [p["rank"] for p in per] == [0, 1] and [p["jobs"] for p in per] == [2, 2]
    assert summary["this_run"]["processes"] == 2 and summary["done"] == 4
    assert (out / "contact_sheet.png").is_file()
    assert r.stdout.count("4 done, 0 failed") == 1  # only the main process reports


def test_the_process_state_without_a_launcher_is_one_plain_process(monkeypatch):
    from dragon_widgets.batch.distributed import launched_world_size, processes

    for var in ("WORLD_SIZE", "LOCAL_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE"):
        monkeypatch.delenv(var, raising=False)
    p = processes(cpu=True)
    assert (p.index, p.count, p.device, p.is_main) == (0, 1, "cpu", True)
    with p.split([1, 2, 3]) as mine:
        assert mine == [1, 2, 3]
    assert p.gather([4]) == [4] and launched_world_size() == 1
    monkeypatch.setenv("WORLD_SIZE", "3")
    assert launched_world_size() == 3
