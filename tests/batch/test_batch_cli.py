"""``python -m dragon_widgets.batch``: mistakes are one ``error:`` line and exit status 2, checked before a model
loads; export-shapesbench writes DragBench's layout."""

from __future__ import annotations

import pytest

from dragon_widgets.batch.__main__ import main


@pytest.mark.parametrize("argv,match", [
    (["run", "shapesbench:test:drag:1"], "the following arguments are required: --out"),
    (["run", "nowhere/", "--out", "o"], "JOBS 'nowhere/' does not exist"),
    (["run", "shapesbench:test:fly", "--out", "o"], "kinds must be drawn from"),
    (["run", "shapesbench:test:drag:1", "--out", "o", "--set", "nonsense=1"], "the preset has no field 'nonsense'"),
    (["run", "shapesbench:test:drag:1", "--out", "o", "--set", "drag.w_nothing=1"], "'drag' has no parameter"),
    (["run", "shapesbench:test:drag:1", "--out", "o", "--set", "num_steps"], "expected KEY=VALUE"),
    (["run", "shapesbench:test:drag:1", "--out", "o", "--preset", "fast"], "preset must be a Preset or one of"),
    (["run", "shapesbench:test:drag:1", "--out", "o", "--set", "num_steps=5"], "time_travel_steps must be below"),
    (["run", "shapesbench:test:drag:1", "--out", "o", "--limit", "0"], "expected a number >= 1"),
    (["eval", "a"], "the following arguments are required: RESULTS"),
    (["export-shapesbench", "o", "--kinds", "move"], "kinds must be drag kinds"),
    (["fly"], "invalid choice"),
])
def test_mistakes_are_one_line_and_exit_2(argv, match, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err and err.count("\n") == 1
    assert not (tmp_path / "o").exists()  # nothing was written


def test_a_preset_file_is_read_and_checked(tmp_path, monkeypatch, capsys):
    import json

    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.json").write_text(json.dumps({"name": "x", "resolution": 10 ** 9, "multiple": 16}))
    assert main(["run", "shapesbench:test:drag:1", "--out", "o", "--preset", "p.json"]) == 2
    assert "resolution" in capsys.readouterr().err
    (tmp_path / "q.json").write_text("[1, 2]")
    assert main(["run", "shapesbench:test:drag:1", "--out", "o", "--preset", "q.json"]) == 2
    assert "must hold a preset object" in capsys.readouterr().err


def test_export_shapesbench(tmp_path, capsys):
    assert main(["export-shapesbench", str(tmp_path / "d"), "--n", "1", "--kinds", "drag-far", "--prompt",
                 "empty"]) == 0
    assert "wrote 1 samples" in capsys.readouterr().out
    from dragon_widgets.bench.dragbench import read_sample

    s = read_sample(tmp_path / "d" / "shapes_drag-far" / "test-drag-far-000")
    assert s.prompt == "" and len(s.points) == 1 and (s.folder / "target_image.png").is_file()
