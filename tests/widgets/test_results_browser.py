"""The results browser on a hand-made batch result (no model runs): paging, sort by worst, the per-job metrics, the
evaluation's rows, and Open in editor for a drag and a move."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.batch.results import write_json
from dragon_widgets.bench.dragbench import write_sample


@pytest.fixture()
def result(tmp_path):
    data, out = tmp_path / "data", tmp_path / "out"
    img = np.zeros((48, 64, 3), np.uint8)
    img[10:30, 10:30] = (200, 30, 30)
    mask = np.zeros((48, 64), bool)
    mask[5:35, 5:40] = True
    for name in ("a", "b"):
        write_sample(data / "cat" / name, img, "a red square", [((20, 20), (30, 22))], mask)
    Image.fromarray(img).save(tmp_path / "photo.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    (tmp_path / "jobs.jsonl").write_text(json.dumps({"image": "photo.png", "id": "m", "seed": 7, "edit": {
        "kind": "move", "mask": "mask.png", "offset": [12, -4], "scale": 1.0}}) + "\n")
    jobs = [{"category": "cat", "sample": n, "source": "dragbench", "origin": {"folder": str(data / "cat" / n)},
             "mode": "drag"} for n in ("a", "b")]
    jobs.append({"category": "jsonl", "sample": "m", "source": "jsonl",
                 "origin": {"file": str(tmp_path / "jobs.jsonl"), "line": 1}, "mode": "move"})
    jobs.append({"category": "cat", "sample": "never-ran", "source": "dragbench",
                 "origin": {"folder": str(data / "cat" / "a")}, "mode": "drag"})
    write_json(out / "batch.json", {"settings": {"model": "embedded", "preset": "embedded", "changes": {}},
                                    "jobs": jobs})
    for name, after in (("a", 9.0), ("b", 2.0)):
        folder = out / "cat" / name
        folder.mkdir(parents=True)
        Image.fromarray(np.roll(img, 3, axis=1)).save(folder / "dragged_image.png")
        write_json(folder / "job.json", {
            "job": jobs[0 if name == "a" else 1], "status": "done", "error": None, "rank": 1, "world_size": 2,
            "host": "node7", "device": "cuda:1", "mode": "drag", "prompt": "a red square", "seed": 5,
            "preset": "embedded", "points": [[[20, 20], [30, 22]]], "seconds": {"total": 3.0},
            "metrics": {"background_psnr": 30.0 if name == "a" else 20.0,
                        "drag": [{"before": 10.2, "after": after, "tracked": [25, 21]}]}})
    folder = out / "jsonl" / "m"
    folder.mkdir(parents=True)
    write_json(folder / "job.json", {"job": jobs[2], "status": "failed", "error": "ValueError: offset leaves the image",
                                     "rank": 0, "world_size": 2, "seconds": {"total": 0.1}, "mode": "move"})
    evaluation = {"mean_distance": 4.0, "image_fidelity": None, "n_samples": 2, "samples": [
        {"id": "cat/a", "mean_distance": 1.0, "lpips": 0.2, "points": [{"found": [29, 22]}]},
        {"id": "cat/b", "mean_distance": 7.0, "lpips": 0.1, "points": [{"found": [22, 20]}]}]}
    return out, evaluation


def test_paging_and_sorting_worst_first(result):
    from dragon_widgets.widgets.results_browser import ResultsBrowser

    out, evaluation = result
    b = ResultsBrowser(out, evaluation=evaluation)
    assert b.order == ["cat/a", "cat/b", "jsonl/m", "cat/never-ran"] and b.current_id == "cat/a"
    assert "4 jobs — 2 done, 1 failed, 1 not run" in b.header.value and "Mean Distance 4.00" in b.header.value
    assert b.before.value[:4] == b"\x89PNG" and b.after.value[:4] == b"\x89PNG"
    assert "rank 1 of 2 on node7 (cuda:1)" in b.details.value and "10.2 → 9.0 px" in b.details.value
    assert "MD 1.00 px, LPIPS 0.200" in b.details.value
    b.sort("drag_after")
    assert b.order[:2] == ["cat/a", "cat/b"]
    b.sort("eval_md")
    assert b.order[:2] == ["cat/b", "cat/a"] and b.current_id == "cat/b"
    b.sort("background_psnr")
    assert b.order[:2] == ["cat/b", "cat/a"]
    b.sort("failed")
    assert b.order[:2] == ["jsonl/m", "cat/never-ran"]
    assert "offset leaves the image" in b.details.value and "b00020" in b.details.value
    b.next_button.click()
    assert b.current_id == "cat/never-ran" and "missing" in b.details.value and b.after.value == b""
    assert b.before.value[:4] == b"\x89PNG"  # the input read again from the job
    assert b.next_button.disabled is False
    b.index.value = 4
    assert b.position == 3 and b.next_button.disabled
    b.show("cat/a")
    assert b.current_id == "cat/a"
    with pytest.raises(ValueError, match="key must be one of"):
        b.sort("nope")
    assert [label for label, _k in b.sort_by.options][:2] == ["job list order", "failed first"]


def test_evaluation_file_next_to_the_results_is_read(result):
    from dragon_widgets.widgets.results_browser import ResultsBrowser

    out, evaluation = result
    (out / "eval.json").write_text(json.dumps(evaluation))
    assert ResultsBrowser(out).evaluation["mean_distance"] == 4.0
    (out / "eval.json").write_text("{}")
    with pytest.raises(ValueError, match="not an evaluation report"):
        ResultsBrowser(out)
    with pytest.raises(ValueError, match="not a batch result"):
        ResultsBrowser(out / "cat")


def test_open_in_editor_reproduces_the_drag_job(result):
    from dragon_widgets.widgets.results_browser import ResultsBrowser

    out, _evaluation = result
    b = ResultsBrowser(out)
    app = b.open_in_editor("cat/a")
    assert app.mode == "drag" and app.canvas.points == [[[20.0, 20.0], [30.0, 22.0]]]
    assert app.canvas.mask.sum() == 30 * 35 and app.canvas.size == (64, 48)
    assert app.params.prompt.value == "a red square" and app.params.seed.value == 5
    assert app.params.preset_for("drag").name == "embedded"
    assert b.editor_box.children == (app,)
    edit = app.build_edit()
    assert edit.kind == "drag" and [tuple(map(tuple, p)) for p in edit.points] == [((20, 20), (30, 22))]


def test_open_in_editor_reproduces_a_failed_move_job_and_says_when_it_cannot(result, tmp_path):
    from dragon_widgets.widgets.results_browser import ResultsBrowser

    out, _evaluation = result
    b = ResultsBrowser(out)
    b.show("jsonl/m")
    b.open_button.click()
    app = b.editor_app
    assert "Opened jsonl/m" in b.status.value
    assert app.mode == "move" and app.canvas.offset == (12.0, -4.0) and app.params.seed.value == 7
    assert app.build_edit().kind == "move" and tuple(app.build_edit().offset) == (12.0, -4.0)
    (tmp_path / "photo.png").unlink()
    b.open_button.click()
    assert "Cannot open jsonl/m" in b.status.value and "photo.png" in b.status.value
