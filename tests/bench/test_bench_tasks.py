import json

import numpy as np
import pytest

from dragon_widgets.bench import scenes
from dragon_widgets.bench.tasks import KINDS, Task, load_tasks, make_task, make_tasks, save_tasks


@pytest.fixture(scope="module")
def tasks():
    return make_tasks("test", 6)


def test_deterministic_and_splits_disjoint(tasks):
    again = make_tasks("test", 6)
    assert [t.to_dict() for t in tasks] == [t.to_dict() for t in again]
    tuning = make_tasks("tuning", 6)
    assert {tuple(t.seed) for t in tasks}.isdisjoint({tuple(t.seed) for t in tuning})
    assert all(a.to_dict()["scene"] != b.to_dict()["scene"] for a, b in zip(tasks, tuning))
    assert [t.kind for t in tasks] == [k for k in KINDS for _ in range(6)]
    assert len({t.id for t in tasks}) == len(tasks)


def test_json_round_trip(tasks, tmp_path):
    for t in tasks:
        back = Task.from_dict(json.loads(json.dumps(t.to_dict())))
        assert back.to_dict() == t.to_dict()
        assert np.array_equal(back.target_mask, t.target_mask)
        assert np.array_equal(back.source_image, t.source_image)
    save_tasks(tasks, tmp_path / "t.json")
    assert [t.to_dict() for t in load_tasks(tmp_path / "t.json")] == [t.to_dict() for t in tasks]


def test_scene_generator_unchanged():
    # the training job depends on sample_scene/render/caption being stable for a given RNG
    sc = scenes.sample_scene(np.random.default_rng([0, 0]))
    img, masks = scenes.render(sc, 64)
    assert img.shape == (64, 64, 3) and len(masks) == len(sc.shapes)
    assert scenes.caption(sc).endswith("background")


def _others_clear(t: Task, gap: int = 1) -> bool:
    from dragon_widgets.bench.segment import dilate

    grown = dilate(t.target_mask, gap)
    return all(not (grown & (m >= 0.5)).any()
               for i, m in enumerate(scenes.render(t.target, t.res)[1]) if i != t.target_index)


def test_move_geometry(tasks):
    for t in (t for t in tasks if t.kind == "move"):
        dx, dy = t.offset
        assert (dx, dy) != (0, 0) and t.scale == 1.0
        shifted = np.roll(np.roll(t.mask, dy, 0), dx, 1)
        assert np.array_equal(shifted, t.target_mask), t.id
        ys, xs = np.nonzero(t.target_mask)
        assert xs.min() > 0 and ys.min() > 0 and xs.max() < t.res - 1 and ys.max() < t.res - 1
        assert _others_clear(t)
        assert (t.mask & ~t.target_mask).sum() > 10  # there is a vacated area
        assert t.source_image.dtype == np.uint8 and t.source_image.shape == (64, 64, 3)


def test_resize_geometry(tasks):
    for t in (t for t in tasks if t.kind == "resize"):
        ratio = t.target_mask.sum() / t.mask.sum()
        assert ratio == pytest.approx(t.scale ** 2, rel=0.15), t.id
        ys, xs = np.nonzero(t.target_mask)
        cx, cy = t.center
        assert xs.mean() == pytest.approx(cx + t.offset[0], abs=1.0)
        assert ys.mean() == pytest.approx(cy + t.offset[1], abs=1.0)
        assert _others_clear(t)


def test_drag_ground_truth(tasks):
    for t in (t for t in tasks if t.kind == "drag"):
        (h, g), = t.points
        src = t.scene.shapes[t.index].polygon()
        tgt = t.target.shapes[t.target_index].polygon()
        k = t.vertex
        for j in range(len(src)):
            d = np.subtract(tgt[j], src[j]) * t.res
            if j == k:
                assert d == pytest.approx(np.subtract(g, h)), t.id
            else:
                assert d == pytest.approx((0, 0), abs=1e-9)
        # the handle sits on the dragged vertex (rounded to a pixel)
        assert np.hypot(src[k][0] * t.res - 0.5 - h[0], src[k][1] * t.res - 0.5 - h[1]) <= 0.75
        assert t.scene.shapes[t.index].kind in ("square", "triangle", "diamond")


def test_paste_and_appearance_ground_truth(tasks):
    for t in (t for t in tasks if t.kind == "paste"):
        assert len(t.target.shapes) == len(t.scene.shapes) + 1
        dx, dy = t.offset
        assert np.array_equal(np.roll(np.roll(t.reference_mask, dy, 0), dx, 1), t.target_mask), t.id
        assert t.object_shape.color not in {s.color for s in t.scene.shapes}
        assert _others_clear(t)
    for t in (t for t in tasks if t.kind == "appearance"):
        assert np.array_equal(t.mask, t.target_mask)
        ref = t.reference.shapes[t.ref_index]
        assert t.object_shape.rgb == ref.rgb and t.object_shape.color == ref.color
        assert ref.color != t.scene.shapes[t.index].color
        assert t.reference_mask.sum() > 20


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        make_task("rotate")
    with pytest.raises(ValueError, match="split"):
        make_task("move", split="train")
