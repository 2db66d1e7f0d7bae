"""DragBench's layout: reading samples (masks 0/1, 0/255 and all-zero floats; points checked), writing them, and the
ShapesBench export with its ground truth."""

from __future__ import annotations

import json
import pickle

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.bench.dragbench import (META_NAME, export_shapesbench, is_dragbench_root, list_samples,
                                            read_sample, write_sample)


def _sample(folder, meta, size=(40, 30)):
    folder.mkdir(parents=True)
    Image.fromarray(np.full((size[1], size[0], 3), 128, np.uint8)).save(folder / "original_image.png")
    (folder / META_NAME).write_bytes(pickle.dumps(meta))
    return folder


@pytest.mark.parametrize("scale,dtype", [(1, np.float64), (255, np.uint8), (1, np.int64), (255, np.float32)])
def test_masks_of_every_convention_read_as_bool(tmp_path, scale, dtype):
    m = np.zeros((30, 40), dtype)
    m[5:15, 10:20] = scale
    s = read_sample(_sample(tmp_path / "cat" / "s1", {"prompt": "p", "points": [[12, 8], [18, 9]], "mask": m}))
    assert s.mask.dtype == bool and s.mask.sum() == 100 and s.mask[5, 10] and not s.mask[0, 0]
    assert s.points == [((12.0, 8.0), (18.0, 9.0))] and s.prompt == "p" and s.size == (40, 30)
    assert (s.category, s.name, s.id) == ("cat", "s1", "cat/s1")


def test_an_all_zero_float_mask_means_no_mask_and_points_pair_up(tmp_path):
    meta = {"prompt": "", "points": [(1, 2), (3, 4), (5, 6), (7, 8)], "mask": np.zeros((30, 40))}
    s = read_sample(_sample(tmp_path / "c" / "s", meta))
    assert s.mask is None and s.points == [((1, 2), (3, 4)), ((5, 6), (7, 8))]


@pytest.mark.parametrize("meta,match", [
    ({"points": [(1, 2), (3, 4)]}, "missing the key 'prompt'"),
    ({"prompt": 3, "points": [(1, 2), (3, 4)]}, "'prompt' must be a string"),
    ({"prompt": "", "points": [(1, 2)]}, "even number"),
    ({"prompt": "", "points": [(1, 2), (300, 4)]}, r"points\[1\] = \(300, 4\) lies outside the 40×30 image"),
    ({"prompt": "", "points": [(1, 2), ("a", 4)]}, r"points\[1\] x must be a number"),
    ({"prompt": "", "points": [(1, 2), (3, 4)], "mask": np.zeros((10, 10))}, "'mask' must be an"),
    (["not", "a", "dict"], "must hold a dict"),
])
def test_malformed_meta_data_is_a_value_error_naming_the_file(tmp_path, meta, match):
    folder = _sample(tmp_path / "c" / "s", meta)
    with pytest.raises(ValueError, match=match) as err:
        read_sample(folder)
    assert str(folder / META_NAME) in str(err.value)


def test_write_then_read_round_trip_and_listing(tmp_path):
    img = np.random.default_rng(0).integers(0, 255, (24, 32, 3), dtype=np.uint8)
    mask = np.zeros((24, 32), bool)
    mask[4:10, 4:10] = True
    write_sample(tmp_path / "b_cat" / "two", img, "a prompt", [((3.4, 4.6), (8, 9))], mask)
    write_sample(tmp_path / "a_cat" / "one", img, "", [((1, 1), (2, 2))])
    assert is_dragbench_root(tmp_path) and not is_dragbench_root(tmp_path / "a_cat")
    assert [(c, s) for c, s, _f in list_samples(tmp_path)] == [("a_cat", "one"), ("b_cat", "two")]
    s = read_sample(tmp_path / "b_cat" / "two")
    np.testing.assert_array_equal(s.image(), img)
    assert s.points == [((3, 5), (8, 9))] and np.array_equal(s.mask, mask) and s.prompt == "a prompt"
    assert read_sample(tmp_path / "a_cat" / "one").mask is None
    meta = pickle.loads((tmp_path / "b_cat" / "two" / META_NAME).read_bytes())  # the official scripts' view
    assert meta["points"] == [(3, 5), (8, 9)] and meta["mask"].dtype == np.uint8 and set(np.unique(meta["mask"])) == {0, 1}
    with pytest.raises(ValueError, match="no DragBench samples"):
        list_samples(tmp_path / "a_cat")


def test_shapesbench_export_has_the_layout_and_the_ground_truth(tmp_path):
    from dragon_widgets.bench.tasks import make_task

    folders = export_shapesbench(tmp_path, "test", 2, ("drag", "drag-far"))
    assert [f.relative_to(tmp_path).as_posix() for f in folders] == [
        "shapes_drag/test-drag-000", "shapes_drag/test-drag-001", "shapes_drag-far/test-drag-far-000",
        "shapes_drag-far/test-drag-far-001"]
    s = read_sample(folders[0])
    task = make_task("drag", "test", 0)
    assert s.points == [tuple(map(tuple, p)) for p in task.points]
    assert s.mask is not None and s.mask[int(task.points[0][0][1]), int(task.points[0][0][0])]
    assert s.prompt.startswith("a ") and "background" in s.prompt
    np.testing.assert_array_equal(np.asarray(Image.open(folders[0] / "target_image.png")), task.target_image)
    assert json.loads((folders[0] / "task.json").read_text())["id"] == "test-drag-000"
    with pytest.raises(ValueError, match="drag kinds"):
        export_shapesbench(tmp_path, "test", 1, ("move",))
