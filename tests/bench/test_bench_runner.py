"""Runner plumbing with fake methods (no model): scoring, error capture, caption check, tables."""

import numpy as np
import pytest

from dragon_widgets.bench import runner
from dragon_widgets.core.scenes import render, to_uint8
from dragon_widgets.bench.tasks import caption_scenes, make_tasks


class Oracle:
    name = "oracle"

    def run(self, task):
        return task.target_image, 0.01


class Broken:
    name = "broken"

    def run(self, task):
        raise RuntimeError("kaput")


def test_run_tasks_scores_and_captures_errors():
    tasks = make_tasks("test", 2)
    good = runner.run_tasks(Oracle(), tasks, keep_images=True)
    assert all(s.success for s in good.scores) and not good.errors
    assert set(good.images) == {t.id for t in tasks}
    bad = runner.run_tasks(Broken(), tasks)
    assert len(bad.errors) == len(tasks) and not any(s.success for s in bad.scores)
    report = dict(split="test", n=2, steps=50, kinds=["move", "drag"],
                  runs={r.name: dict(summary=r.summary(), scores=[], errors=r.errors) for r in (good, bad)})
    text = runner.format_report(report)
    assert "| move | oracle | 2 | 1.00 |" in text and "| move | broken | 2 | 0.00 |" in text
    assert f"broken: {len(tasks)}" in text and "oracle drag 100%" in text


@pytest.mark.parametrize("split", ["test-v1", "test"])
def test_caption_check_on_ground_truth_renders(split):
    # caption detection names colours as both worlds' captions do (v1's eight hues; the training world's tones)
    scenes = {i: sc for i, sc in enumerate(caption_scenes(8, split))}

    def generate(text, seed):
        return to_uint8(render(scenes[seed], 64)[0])

    r = runner.caption_check(generate, n=8, split=split)
    assert r["all_present"] >= 7 / 8 and r["clean"] >= 7 / 8
    assert 0 < r["edge_px"] < 1.6


def test_save_grids(tmp_path):
    tasks = make_tasks("test", 1, kinds=("move", "paste"))
    run = runner.run_tasks(Oracle(), tasks, keep_images=True)
    paths = runner.save_grids(tmp_path, tasks, [run])
    assert [p.name for p in paths] == ["move.png", "paste.png"]
    from PIL import Image

    assert Image.open(paths[0]).size == (3 * 3 * 66, 3 * 66)
    assert np.asarray(Image.open(paths[0])).std() > 0


def test_store_saves_results_and_rescoring_runs_nothing(tmp_path):
    tasks = make_tasks("shifted", 1, kinds=("move", "drag-far"))
    first = runner.run_tasks(Oracle(), tasks, store=tmp_path)
    assert sorted(p.name for p in (tmp_path / "oracle").glob("*.png")) == sorted(f"{t.id}.png" for t in tasks)

    class Forbidden(Oracle):
        def run(self, task):
            raise AssertionError("a stored result must not be edited again")

    again = runner.run_tasks(Forbidden(), tasks, store=tmp_path)
    assert not again.errors
    import json

    assert json.dumps([s.to_dict() for s in again.scores]) == json.dumps([s.to_dict() for s in first.scores])
    assert all(s.success for s in again.scores)


def test_sweep_runs_each_variant_on_its_own_kinds(monkeypatch):
    seen: list[tuple[str, str]] = []

    class Recorder(Oracle):
        def __init__(self, pipe, preset, drag_region):
            self.preset = preset

        def run(self, task):
            seen.append((self.preset, task.kind))
            return super().run(task)

    monkeypatch.setattr(runner, "EngineMethod", Recorder)
    out = runner.sweep(None, {"base": "B", "paste.w=1": "P"}, split="tuning", n=1, kinds=("move", "paste"),
                       variant_kinds={"paste.w=1": ("paste",)})
    assert sorted(seen) == [("B", "move"), ("B", "paste"), ("P", "paste")]
    assert set(out["base"]["summary"]) == {"move", "paste"} and set(out["paste.w=1"]["summary"]) == {"paste"}
    assert "| paste.w=1 | paste |" in runner.format_sweep(out, ("move", "paste"))
    assert "| paste.w=1 | move |" not in runner.format_sweep(out, ("move", "paste"))
