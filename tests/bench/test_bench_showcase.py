"""benchmarks/showcase.py: the showcase cases' ground truth agrees with the engine's edit geometry and scores a
perfect result as clean and the untouched input as failed; the script runs end to end on a random model."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def showcase():
    spec = importlib.util.spec_from_file_location("showcase_script", ROOT / "benchmarks" / "showcase.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


@pytest.fixture(scope="module")
def cases(showcase):
    return showcase.all_cases()


def test_the_cases_are_the_showcase_edits(cases):
    assert [c.name for c in cases] == ["quickstart-move", "editor-move", "editor-resize", "editor-drag",
                                       "editor-appearance", "editor-paste", "cli-demo", "nb03-move", "nb03-drag"]
    assert {c.mode for c in cases if c.name.startswith("editor-")} == {"move", "resize", "drag", "appearance", "paste"}
    from dragon_widgets.widgets._scene import builtin_scene

    img, caption = builtin_scene()
    for c in cases[:6]:  # the editor app's built-in scene, prompt and seed
        assert np.array_equal(c.image, img) and c.prompt == caption and c.seed == 42
    assert cases[6].prompt == "" and cases[6].seed == 0


def test_a_perfect_result_is_clean_and_the_untouched_input_is_not(cases):
    from dragon_widgets.bench.metrics import score

    for c in cases:
        perfect, untouched = score(c.task.target_image, c.task), score(c.task.source_image, c.task)
        assert perfect.success and perfect.invented == 0 and perfect.iou == 1.0, c.name
        assert not untouched.success, c.name


def test_ground_truth_places_the_object_where_the_engines_geometry_does(cases):
    from dragon_widgets.bench.segment import iou
    from dragon_widgets.core.geometry import Affine, mask_center
    from dragon_widgets.core.warp import warp_image

    checked = 0
    for c in cases:
        if c.mode not in ("move", "resize", "paste") or c.name.startswith("nb03"):  # nb03: ShapesBench's own tasks
            continue
        mask = c.edit.reference_mask if c.mode == "paste" else c.edit.mask
        aff = Affine(mask_center(mask), c.edit.scale, tuple(c.edit.offset))
        placed = warp_image(np.repeat(mask[..., None].astype(np.uint8) * 255, 3, 2), aff)[..., 0] > 127
        assert iou(placed, c.task.target_mask) >= 0.85, c.name
        checked += 1
    assert checked == 5


def test_a_drag_ground_truth_moves_the_corner_under_the_handle(showcase, cases):
    drag = next(c for c in cases if c.name == "editor-drag")
    (hx, hy), (tx, ty) = drag.task.points[0]
    vx, vy = drag.task.target.shapes[0].polygon()[drag.task.vertex]
    assert abs(vx * 64 - 0.5 - tx) <= showcase.DRAG_SNAP_PX and abs(vy * 64 - 0.5 - ty) <= showcase.DRAG_SNAP_PX
    far = [((hx + 10, hy + 10), (tx, ty))]
    with pytest.raises(ValueError, match="from the nearest corner"):
        showcase.drag_task("x", drag.task.scene, 0, far)


@pytest.mark.slow  # the benchmark script end to end
def test_the_script_runs_and_tabulates_on_a_random_model(showcase, tmp_path, capsys):
    rows = showcase.main(["--random-weights", "--steps", "2", "--only", "editor-paste", "nb03-drag", "--out",
                          str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert [c.name for c, _ in rows] == ["editor-paste", "nb03-drag"]
    assert out.count("\n| editor-paste | notebook 02 / EditorApp |") == 1 and "| nb03-drag | notebook 03 |" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["editor-paste.png", "editor-paste_result.png",
                                                           "nb03-drag.png", "nb03-drag_result.png"]
    with pytest.raises(SystemExit):
        showcase.main(["--only", "nonsense"])
