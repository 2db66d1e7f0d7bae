import json

import numpy as np
import pytest

from dragon_widgets.bench import scenes
from dragon_widgets.bench.tasks import (DRAG_FAR_PX, DRAG_KINDS, KINDS, SPLITS, Task, load_tasks, make_task,
                                        make_tasks, save_tasks)
from dragon_widgets.bench.world import HELD_OUT, MIN_SHAPE_DISTANCE, _in_bands


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
    from dragon_widgets.core.masks import dilate

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
    for t in (t for t in tasks if t.kind in DRAG_KINDS):
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
        for s in t.scene.shapes:  # world colours are any hue: distinct by RGB distance, not by name
            assert np.linalg.norm(np.subtract(t.object_shape.rgb, s.rgb)) >= MIN_SHAPE_DISTANCE, t.id
        assert _others_clear(t)
    for t in (t for t in tasks if t.kind == "appearance"):
        assert np.array_equal(t.mask, t.target_mask)
        ref = t.reference.shapes[t.ref_index]
        assert t.object_shape.rgb == ref.rgb and t.object_shape.color == ref.color
        assert np.linalg.norm(np.subtract(ref.rgb, t.scene.shapes[t.index].rgb)) >= MIN_SHAPE_DISTANCE
        assert t.reference_mask.sum() > 20


def test_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        make_task("rotate")
    with pytest.raises(ValueError, match="split"):
        make_task("move", split="train")


def test_splits_never_share_a_seed():
    ids = [sp.id for sp in SPLITS.values()]
    assert len(set(ids)) == len(ids)
    seeds = {tuple(t.seed) for name in SPLITS for t in make_tasks(name, 2, ("move",))}
    assert len(seeds) == 2 * len(SPLITS)


def test_drag_far_pulls_a_corner_10_to_20_px():
    lengths = []
    for split in ("test", "shifted", "test-v1"):
        for t in make_tasks(split, 6, ("drag-far",)):
            (h, g), = t.points
            lengths.append(np.hypot(g[0] - h[0], g[1] - h[1]))
            assert DRAG_FAR_PX[0] - 0.5 <= lengths[-1] <= DRAG_FAR_PX[1] + 0.5, t.id
            assert t.target_mask.sum() > t.mask.sum()  # pulled outward: the shape grows a corner
    short = [np.hypot(*np.subtract(*t.points[0])) for t in make_tasks("test", 6, ("drag",))]
    assert max(short) < min(lengths)


def _hue(rgb) -> float:
    import colorsys

    return colorsys.rgb_to_hsv(*rgb)[0] * 360.0


def test_shifted_split_draws_only_held_out_ranges_and_renders_inputs_at_128():
    lo, hi = HELD_OUT["size_band"]
    for t in make_tasks("shifted", 3):
        assert t.in_res == 128 and t.res == 64
        assert t.input_image.shape == (128, 128, 3) and t.source_image.shape == (64, 64, 3)
        assert t.input_mask().shape == (128, 128)
        assert t.scene.background.layout in HELD_OUT["layouts"]
        assert t.scene.background.texture in HELD_OUT["textures"] + ("gradient",)
        for s in t.scene.shapes + ([] if t.reference is None else t.reference.shapes):
            assert lo <= s.size <= hi, t.id
            if s.color != "white":
                assert _in_bands(_hue(s.rgb)), (t.id, s)
        if t.kind == "appearance":
            assert _in_bands(_hue(t.object_shape.rgb)) or t.object_shape.color == "white"
        if t.kind == "move":
            assert 0.2 * 64 - 0.5 <= np.hypot(*t.offset) <= 0.33 * 64 + 0.5, t.id
        # the 128-px input shows the same picture as the 64-px scoring image
        small = t.input_image.astype(float).reshape(64, 2, 64, 2, 3).mean((1, 3))
        assert np.abs(small - t.source_image).mean() < 3.0
        if t.kind != "paste":
            coarse = t.input_mask().reshape(64, 2, 64, 2).mean((1, 3)) >= 0.5
            from dragon_widgets.core.masks import dilate, erode

            outline = dilate(t.mask, 1) & ~erode(t.mask, 1)
            assert not ((coarse ^ t.mask) & ~outline).any(), t.id  # same object, up to its outline pixels


def test_test_and_tuning_come_from_the_training_world():
    lo, hi = HELD_OUT["size_band"]
    for split in ("test", "tuning"):
        for t in make_tasks(split, 3):
            assert t.in_res == 64
            assert t.scene.background.layout == "linear" and t.scene.background.texture != "plaid"
            for s in t.scene.shapes:
                assert not lo <= s.size <= hi
                if s.color != "white":
                    assert not _in_bands(_hue(s.rgb))


def test_test_v1_reproduces_the_first_models_test_split():
    # recorded from the v1 generator before the split was renamed (test-move-000 / test-paste-000 of v1)
    move, paste = make_task("move", "test-v1", 0), make_task("paste", "test-v1", 0)
    assert (move.offset, move.object_shape.color, move.object_shape.kind) == ((-25, -1), "pink", "square")
    assert (paste.offset, paste.object_shape.color, paste.object_shape.kind) == ((-14, 20), "pink", "square")
    assert move.scene.background.tint == "yellow"
