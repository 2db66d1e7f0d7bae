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


def test_set_parsing(cli):
    assert cli._parse_set(["move.w_edit=6", "num_steps=30", "drag.bank_steps=[0, 20]", "name=x"]) == [
        ("move", "w_edit", 6), (None, "num_steps", 30), ("drag", "bank_steps", (0, 20)), (None, "name", "x")]
