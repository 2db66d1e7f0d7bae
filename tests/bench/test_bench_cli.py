import importlib.util
import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cli():
    spec = importlib.util.spec_from_file_location("shapesbench_cli", ROOT / "benchmarks" / "shapesbench.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_benchmark_cli_baseline_only(cli, tiny_pipe, tmp_path, monkeypatch, capsys):
    from dragon_widgets.bench import runner

    monkeypatch.setattr(runner, "load_pipe", lambda *a, **k: tiny_pipe)
    md = tmp_path / "R.md"
    md.write_text("# Results\n\nintro quoting `<!-- shapesbench:begin -->`\n\n<!-- shapesbench:begin -->\nold\n"
                  "<!-- shapesbench:end -->\n\ntail\n")
    report = cli.main(["--random-weights", "--no-method", "--n", "1", "--kinds", "move", "drag", "--inversion", "1",
                       "--captions", "0", "--steps", "2", "--threads", "1", "--quiet", "--json",
                       str(tmp_path / "r.json"), "--markdown", str(md)])
    out = capsys.readouterr().out
    assert "| move | baseline | 1 |" in out and "| drag | baseline | 1 |" in out
    assert "inversion" in out
    data = json.loads((tmp_path / "r.json").read_text())
    assert [s["task"] for s in data["runs"]["baseline"]["scores"]] == ["test-move-000", "test-drag-000"]
    assert report["inversion"]["n"] == 1
    text = md.read_text()
    assert text.startswith("# Results\n\nintro quoting `<!-- shapesbench:begin -->`\n")
    assert text.rstrip().endswith("tail") and "old" not in text
    assert "| move | baseline |" in text


def test_cli_two_splits_with_a_store(cli, tiny_pipe, tmp_path, monkeypatch, capsys):
    from dragon_widgets.bench import runner

    monkeypatch.setattr(runner, "load_pipe", lambda *a, **k: tiny_pipe)
    args = ["--random-weights", "--no-method", "--n", "1", "--kinds", "move", "--inversion", "0", "--captions", "0",
            "--steps", "2", "--threads", "1", "--quiet", "--split", "test-v1", "shifted", "--store", str(tmp_path / "s")]
    out = cli.main(args + ["--json", str(tmp_path / "r.json")])
    assert [r["split"] for r in out["reports"]] == ["test-v1", "shifted"]
    assert sorted(p.name for p in (tmp_path / "s" / "baseline").glob("*.png")) == [
        "shifted-move-000.png", "test-v1-move-000.png"]
    text = capsys.readouterr().out
    assert "split test-v1" in text and "split shifted" in text
    # re-scoring the stored results only: nothing to edit, same scores; a split without results is empty
    monkeypatch.setattr(runner.BaselineMethod, "run", lambda *a: (_ for _ in ()).throw(AssertionError("edited")))
    again = cli.main(args + ["--stored-only"])
    scores = [r["runs"]["baseline"]["scores"] for r in again["reports"]]
    saved = [r["runs"]["baseline"]["scores"] for r in json.loads((tmp_path / "r.json").read_text())["reports"]]
    assert json.dumps(scores, default=float) == json.dumps(saved, default=float)  # NaN-safe comparison


def test_set_parsing(cli):
    assert cli._parse_set(["move.w_edit=6", "num_steps=30", "drag.bank_steps=[0, 20]", "name=x"]) == [
        ("move", "w_edit", 6), (None, "num_steps", 30), ("drag", "bank_steps", (0, 20)), (None, "name", "x")]
