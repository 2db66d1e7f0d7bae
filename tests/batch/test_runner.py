"""The runner on the embedded model: one result folder per job in DragBench's layout, a failing job recorded and
the run going on, resumption, the summary files, and the settings a resumed run must keep."""

from __future__ import annotations

import csv
import json

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.batch.jobs import load_jobs
from dragon_widgets.batch.results import BatchResult, read_record
from dragon_widgets.batch.runner import RunSettings, run_batch

pytestmark = pytest.mark.embedded  # every test runs batches on the trained embedded model (embedded_pipe)

#: The embedded preset on 8 steps (tests/batch/conftest.py SHORT)
SHORT = {"num_steps": 8, "guided_until": 4, "dense_until": 2, "time_travel_steps": [3], "time_travel_rounds": 1,
         "sde_window": [1, 3], "ip_window": [1, 3]}


def _settings(**kw):
    return RunSettings(preset="embedded", changes=dict(SHORT), progress=False, **kw)


@pytest.fixture(scope="module")
def first_run(tmp_path_factory, embedded_pipe, dragbench_factory, short):
    assert short == SHORT
    base = tmp_path_factory.mktemp("runner")
    data = dragbench_factory(base / "data", n=2)
    out = base / "out"
    summary = run_batch(load_jobs(data), out, _settings(), pipe=embedded_pipe)
    return base, data, out, summary


def test_every_job_gets_a_folder_in_dragbench_layout(first_run):
    _base, data, out, summary = first_run
    for sample in ("test-drag-000", "test-drag-001"):
        folder = out / "shapes_drag" / sample
        rec = read_record(folder)
        assert rec["status"] == "done" and rec["error"] is None
        assert (rec["rank"], rec["world_size"], rec["device"]) == (0, 1, "cpu") and rec["host"]
        img = Image.open(folder / "dragged_image.png")
        assert img.size == Image.open(data / "shapes_drag" / sample / "original_image.png").size
        assert (folder / "edit" / "edit.json").is_file()  # dw.replay(folder / "edit") re-runs it
        assert rec["mode"] == "drag" and rec["points"] and rec["preset"] == "embedded+"
        assert rec["seconds"]["total"] > 0 and rec["metrics"]["drag"][0]["before"] > 0
        assert rec["prompt"].startswith("a ")  # the sample's prompt was used


def test_a_hostile_sample_fails_alone_with_a_one_line_error_and_never_runs(first_run):
    base, _data, out, summary = first_run
    rec = read_record(out / "shapes_drag" / "zz-hostile")
    assert rec["status"] == "failed" and "\n" not in rec["error"]
    assert rec["error"].startswith("ValueError:") and "refused to unpickle posix.system" in rec["error"]
    assert "Traceback" in (out / "shapes_drag" / "zz-hostile" / "error.txt").read_text()
    assert not (out / "shapes_drag" / "zz-hostile" / "dragged_image.png").exists()
    assert not (base / "pwned").exists()
    assert (summary["done"], summary["failed"], summary["missing"], summary["jobs"]) == (2, 1, 0, 3)
    assert summary["failures"][0]["id"] == "shapes_drag/zz-hostile"


def test_summary_csv_json_and_contact_sheet(first_run):
    _base, _data, out, summary = first_run
    on_disk = json.loads((out / "summary.json").read_text())
    assert on_disk["jobs"] == 3 and on_disk["this_run"]["processes"] == 1
    assert on_disk["this_run"]["jobs_run"] == 3 and on_disk["this_run"]["per_process"][0]["rank"] == 0
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [r["id"] for r in rows] == ["shapes_drag/test-drag-000", "shapes_drag/test-drag-001",
                                       "shapes_drag/zz-hostile"]
    assert [r["status"] for r in rows] == ["done", "done", "failed"] and rows[0]["rank"] == "0"
    assert float(rows[0]["drag_before"]) > 0 and rows[2]["error"].startswith("ValueError")
    sheet = Image.open(out / "contact_sheet.png")
    assert sheet.width > 300 and sheet.height > 150
    assert np.asarray(sheet).std() > 10  # pictures, not a blank sheet
    assert BatchResult(out).job_ids == [r["id"] for r in rows]


def test_a_resumed_run_skips_finished_jobs_and_reruns_the_one_a_crash_interrupted(first_run, embedded_pipe):
    _base, data, out, _summary = first_run
    kept = out / "shapes_drag" / "test-drag-000" / "job.json"
    stamp = kept.stat().st_mtime_ns
    crashed = out / "shapes_drag" / "test-drag-001"
    (crashed / "job.json").unlink()  # as if the process died while running this job: its image is left over
    summary = run_batch(load_jobs(data), out, _settings(), pipe=embedded_pipe)
    assert summary["this_run"]["pending_at_start"] == 1 and summary["this_run"]["jobs_run"] == 1
    assert kept.stat().st_mtime_ns == stamp  # finished: not run again
    assert read_record(crashed)["status"] == "done"
    assert read_record(out / "shapes_drag" / "zz-hostile")["status"] == "failed"  # kept, not retried
    assert (summary["done"], summary["failed"]) == (2, 1)
    again = run_batch(load_jobs(data), out, _settings(retry_failed=True), pipe=embedded_pipe)
    assert again["this_run"]["jobs_run"] == 1 and again["failed"] == 1  # only the failed job was retried


def test_a_resumed_run_with_other_settings_is_refused(first_run, embedded_pipe):
    _base, data, out, _summary = first_run
    with pytest.raises(ValueError, match="other settings.*changes"):
        run_batch(load_jobs(data), out, RunSettings(preset="embedded", changes={"num_steps": 9}, progress=False),
                  pipe=embedded_pipe)


def test_shapesbench_jobs_are_scored_against_the_ground_truth(tmp_path, embedded_pipe):
    jobs = load_jobs("shapesbench:test:move:1")
    summary = run_batch(jobs, tmp_path, _settings(metrics=False), pipe=embedded_pipe)
    rec = read_record(tmp_path / "move" / "test-move-000")
    assert rec["status"] == "done" and "metrics" not in rec
    assert 0 <= rec["shapesbench"]["iou"] <= 1 and rec["shapesbench"]["task"] == "test-move-000"
    assert rec["offset"] and rec["scale"] == 1.0 and summary["shapesbench_success"] is not None
