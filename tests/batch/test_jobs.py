"""Job lists from every source: a DragBench root, a ShapesBench spec, saved edits and JSONL; a bad job fails when
it is prepared, a bad list at once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.batch.jobs import Job, load_jobs

LOGS = Path(__file__).resolve().parents[1] / "data" / "edit_logs"


def test_dragbench_root_gives_one_drag_job_per_sample(tmp_path, dragbench_factory):
    data = dragbench_factory(tmp_path / "data", n=2)
    jobs = load_jobs(data)
    assert [j.id for j in jobs] == ["shapes_drag/test-drag-000", "shapes_drag/test-drag-001", "shapes_drag/zz-hostile"]
    assert {j.mode for j in jobs} == {"drag"} and {j.source for j in jobs} == {"dragbench"}
    prep = jobs[0].prepare()
    assert prep.image.shape == (64, 64, 3) and prep.mode == "drag" and prep.prompt == prep.source_prompt != ""
    assert prep.edit.mask is not None and len(prep.edit.points) == 1
    with pytest.raises(ValueError, match="refused to unpickle"):
        jobs[2].prepare()
    assert Job.from_dict(json.loads(json.dumps(jobs[0].to_dict()))) == jobs[0]


def test_shapesbench_spec(tmp_path):
    jobs = load_jobs("shapesbench:test:drag-far,resize:3")
    assert [j.id for j in jobs][:2] == ["drag-far/test-drag-far-000", "drag-far/test-drag-far-001"]
    assert len(jobs) == 6 and [j.mode for j in jobs] == ["drag"] * 3 + ["resize"] * 3
    prep = jobs[3].prepare()
    assert prep.task.id == "test-resize-000" and prep.mode == "resize" and prep.seed == 0 and prep.prompt == ""
    assert len(load_jobs("shapesbench:tuning")) == 6 * 20
    for bad, match in (("shapesbench:nope", "split must be one of"), ("shapesbench:test:fly", "kinds must be"),
                       ("shapesbench:test:drag:x", "whole number"), ("shapesbench:test:drag:0", "at least 1"),
                       ("shapesbench:", "SPLIT")):
        with pytest.raises(ValueError, match=match):
            load_jobs(bad)


def test_a_folder_of_saved_edits(tmp_path):
    for name in ("a", "b"):
        shutil.copytree(LOGS / "embedded-move-v1", tmp_path / "logs" / name)
    jobs = load_jobs(tmp_path / "logs")
    assert [j.id for j in jobs] == ["edits/a", "edits/b"] and jobs[0].mode == "move"
    prep = jobs[0].prepare()
    log = json.loads((LOGS / "embedded-move-v1" / "edit.json").read_text())
    assert prep.seed == log["seed"] and prep.preset["name"] == log["preset"]["name"] and prep.edit.kind == "move"
    assert [j.id for j in load_jobs(tmp_path / "logs" / "a")] == ["edits/a"]  # one log folder itself
    (tmp_path / "logs" / "b" / "edit.json").write_text("{not json")
    with pytest.raises(ValueError, match="edit.json"):
        load_jobs(tmp_path / "logs")[1].prepare()


def _jsonl_setup(tmp_path):
    img = np.zeros((48, 64, 3), np.uint8)
    img[10:30, 10:30] = (200, 40, 40)
    Image.fromarray(img).save(tmp_path / "photo.png")
    mask = np.zeros((48, 64), np.uint8)
    mask[8:32, 8:32] = 255
    Image.fromarray(mask).save(tmp_path / "mask.png")
    lines = [
        {"image": "photo.png", "edit": {"kind": "drag", "points": [[[20, 20], [30, 22]]], "mask": "mask.png"},
         "prompt": "a red square", "seed": 3, "id": "drag-1", "category": "sweep", "params": {"w_edit": 5}},
        {"image": "photo.png", "edit": {"kind": "move", "mask": {"png": "mask.png"}, "offset": [10, 5], "scale": 1.5}},
        "not json at all",
        {"image": "photo.png", "edit": {"kind": "drag", "points": [[[20, 20], [300, 22]]]}},
        {"image": "missing.png", "edit": {"kind": "drag", "points": [[[1, 1], [2, 2]]]}},
        {"image": "photo.png", "edit": {"kind": "drag", "points": []}, "colour": "red"},
    ]
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    (tmp_path / "jobs.jsonl").write_text(text + "\n\n")
    return tmp_path / "jobs.jsonl"


def test_jsonl_jobs_read_masks_relative_to_the_file(tmp_path):
    jobs = load_jobs(_jsonl_setup(tmp_path))
    assert [j.id for j in jobs] == ["sweep/drag-1", "jsonl/line-00002", "jsonl/line-00003", "jsonl/line-00004",
                                    "jsonl/line-00005", "jsonl/line-00006"]
    assert [j.mode for j in jobs[:2]] == ["drag", "resize"]
    p = jobs[0].prepare()
    assert p.prompt == p.source_prompt == "a red square" and p.seed == 3 and p.params == {"w_edit": 5}
    assert p.edit.mask.dtype == bool and p.edit.mask.sum() == 24 * 24
    p2 = jobs[1].prepare()
    assert p2.edit.kind == "move" and tuple(p2.edit.offset) == (10, 5) and p2.mode == "resize" and p2.seed is None


@pytest.mark.parametrize("index,match", [(2, "line 3 is not JSON"), (5, "line 6 has unknown keys"),
                                         (4, "missing.png")])
def test_a_bad_jsonl_line_fails_its_own_job(tmp_path, index, match):
    jobs = load_jobs(_jsonl_setup(tmp_path))
    with pytest.raises((ValueError, OSError), match=match):
        jobs[index].prepare()


def test_a_bad_list_is_refused_at_once(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        load_jobs(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="neither DragBench samples"):
        load_jobs(tmp_path / "empty")
    (tmp_path / "x.txt").write_text("")
    with pytest.raises(ValueError, match=".jsonl"):
        load_jobs(tmp_path / "x.txt")
    (tmp_path / "dup.jsonl").write_text('{"id": "a", "image": "x", "edit": {}}\n{"id": "a", "image": "y", "edit": {}}\n')
    with pytest.raises(ValueError, match="two jobs are named 'jsonl/a'"):
        load_jobs(tmp_path / "dup.jsonl")
    (tmp_path / "bad.jsonl").write_text('{"id": "../escape", "image": "x", "edit": {}}\n')
    with pytest.raises(ValueError, match="id must be"):
        load_jobs(tmp_path / "bad.jsonl")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    with pytest.raises(ValueError, match="holds no jobs"):
        load_jobs(tmp_path / "blank.jsonl")
