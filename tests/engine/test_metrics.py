"""In-line edit metrics: pure functions on constructed cases (each must pass and must fail where it should),
then measure_edit on a real (tiny, random-weight) editor's results."""

from __future__ import annotations

import dataclasses
import json
import math

import numpy as np
import pytest
import torch
from PIL import Image

import dragon_widgets as dw
from dragon_widgets.engine.log import load_log
from dragon_widgets.core.masks import dilate
from dragon_widgets.engine.metrics import (MetricSettings, background_psnr, drag_distances, edited_region,
                                           measure_edit, track_features, track_points)


def _image(seed=0, h=40, w=60):
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def test_background_psnr_ignores_changes_inside_the_region_and_sees_them_outside():
    before = _image()
    region = np.zeros((40, 60), bool)
    region[10:20, 10:30] = True
    inside = before.copy()
    inside[region] = 255 - inside[region]
    assert background_psnr(before, inside, region) == math.inf  # must pass: only the edited region changed
    outside = before.astype(int)
    outside[~region] += 10 * (1 - 2 * (outside[~region] > 127))  # ±10 on every outside channel
    psnr = background_psnr(before, outside.astype(np.uint8), region)
    assert psnr == pytest.approx(10 * math.log10(255 ** 2 / 100))  # must fail: the background moved by 10
    assert background_psnr(before, inside, np.ones((40, 60), bool)) is None  # nothing outside to compare
    with pytest.raises(ValueError, match="region has shape"):
        background_psnr(before, inside, region[:, :10])


def test_edited_region_adds_point_discs_then_dilates():
    size = (60, 40)
    m = np.zeros((40, 60), bool)
    m[5:10, 5:10] = True
    assert np.array_equal(edited_region(m, [], size), m)
    grown = edited_region(m, [], size, dilate=2)
    assert grown[3:12, 3:12].all() and grown.sum() == 81 and not grown[13, 13]
    pts = edited_region(None, [((30.0, 20.0), (50.0, 20.0))], size, point_radius=3)
    assert pts[20, 30] and pts[20, 49] and not pts[20, 40] and not pts[0, 0]
    with pytest.raises(ValueError, match="region has shape"):
        edited_region(m[:10], [], size)
    assert not dilate(np.zeros((4, 4), bool), 3).any()


def test_track_points_finds_a_shifted_feature_and_reports_an_unmoved_one_as_unmoved():
    g = torch.Generator().manual_seed(0)
    src = torch.randn(16, 10, 20, generator=g)  # (C, h, w) over a 40×20 image: 2 px per cell
    shifted = torch.roll(src, shifts=(2, 5), dims=(1, 2))  # content moved 5 cells right, 2 down
    handle = (9.0, 7.0)  # cell (4, 3)
    tracked = track_points(src, shifted, [handle], (40, 20))
    assert tracked[0].tolist() == [19.0, 11.0]  # cell (9, 5) centre: moved with the content
    rows = drag_distances([(handle, (19.0, 11.0))], tracked)
    assert rows[0]["after"] == pytest.approx(0.0) and rows[0]["before"] == pytest.approx(math.hypot(10, 4))
    still = track_points(src, src, [handle], (40, 20))  # must fail: nothing moved
    rows = drag_distances([(handle, (19.0, 11.0))], still)
    assert rows[0]["after"] == pytest.approx(rows[0]["before"], abs=1.5)
    with pytest.raises(ValueError, match="two \\(C, h, w\\) maps"):
        track_points(src, src[:, :5], [handle], (40, 20))
    with pytest.raises(ValueError, match="tracked has 2 points for 1 pairs"):
        drag_distances([(handle, handle)], np.zeros((2, 2)))


def test_measure_edit_on_a_drag_tracks_the_handle_with_the_unet(tiny_editor, tiny_source, scene_image):
    img, _m = scene_image  # 200×100 input, a smooth colour gradient everywhere: every place looks different
    handle, target = (60.0, 45.0), (100.0, 55.0)
    res = tiny_editor.edit(tiny_source, dw.Drag(points=[(handle, target)]), seed=1)
    assert res.points and res.region.all()  # the plan's geometry travels with the result: a drag without mask
    m = measure_edit(tiny_editor, res)
    # a drag without a drawn region is measured outside its default region around the handle → target segment
    assert m["measured_outside"] == "default drag region" and 0 < m["edited_fraction"] < 1
    assert m["background_psnr"] is not None and m["invented_regions"] == len(m["invented_boxes"])
    (row,) = m["drag"]
    assert row["handle"] == [60.0, 45.0] and row["before"] == pytest.approx(math.hypot(40, 10))
    assert 0 <= row["tracked"][0] < 200 and 0 <= row["tracked"][1] < 100
    json.dumps(m, allow_nan=False)  # JSON-ready as it is (no inf here)


@pytest.fixture(scope="module")
def embedded_editor():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield dw.DragonEditor(dw.load_pipeline())
    torch.set_num_threads(threads)


@pytest.mark.embedded  # the trained embedded model
def test_dift_tracking_on_the_embedded_model_follows_moved_content_and_not_unmoved(embedded_editor):
    """The trained model's features: an object moved by the drag vector is tracked to the target (must pass);
    the same image unmoved leaves the handle where it was (must fail)."""
    from dragon_widgets.widgets._scene import builtin_scene, builtin_shape_masks

    img, caption = builtin_scene()
    img = np.asarray(img)
    handles = []
    for m in builtin_shape_masks():  # the objects' extreme points and centres: places that look unlike others
        ys, xs = np.nonzero(m)
        handles += [(xs.min() + 0.5, ys[xs.argmin()] + 0.5), (xs.max() + 0.5, ys[xs.argmax()] + 0.5),
                    (xs.mean() + 0.5, ys.mean() + 0.5)]
    s = MetricSettings()
    src = track_features(embedded_editor, img, caption, s)
    for dx, dy in ((6, 0), (-4, 5)):
        pairs = [((x, y), (x + dx, y + dy)) for x, y in handles]
        moved = track_features(embedded_editor, np.roll(img, (dy, dx), axis=(0, 1)), caption, s, draw=1)
        after = [r["after"] for r in drag_distances(pairs, track_points(src, moved, handles, (64, 64)))]
        assert np.median(after) <= 1.5, after
        same = track_features(embedded_editor, img, caption, s, draw=1)
        rows = drag_distances(pairs, track_points(src, same, handles, (64, 64)))
        assert np.median([r["after"] for r in rows]) >= 0.7 * np.median([r["before"] for r in rows])


def test_measure_edit_on_a_move_keeps_the_background_and_the_log_keeps_the_metrics(tiny_editor, tiny_source,
                                                                                  scene_image, tmp_path):
    img, m = scene_image
    res = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=0)
    metrics = measure_edit(tiny_editor, res, MetricSettings(dilate=0.0))
    assert "drag" not in metrics and 0 < metrics["edited_fraction"] < 0.5
    assert metrics["settings"]["dilate"] == 0.0
    # the random-weight model changes the background; a result that keeps the input outside the edit scores inf
    region = edited_region(res.region, [], res.source.work_size)
    w, h = res.source.work_size
    m_work = np.asarray(Image.fromarray(m).resize((w, h), Image.NEAREST))
    moved = np.roll(m_work, (round(10 * h / 100), round(40 * w / 200)), axis=(0, 1))
    assert region[m_work].mean() > 0.9 and region[moved].mean() > 0.9  # the old and the new place
    kept = res.source.work_image.copy()
    kept[region] = res.work_image[region]
    better = measure_edit(tiny_editor, dataclasses.replace(res, work_image=kept), MetricSettings(dilate=0.0))
    assert better["background_psnr"] == math.inf and math.isfinite(metrics["background_psnr"])
    identical = dataclasses.replace(res, work_image=res.source.work_image.copy())
    res.metrics = {**metrics, "unchanged": measure_edit(tiny_editor, identical)["background_psnr"]}
    assert res.metrics["unchanged"] == math.inf
    folder = res.save(tmp_path / "with-metrics")
    log, _edit = load_log(folder)
    assert log["metrics"]["background_psnr"] == pytest.approx(metrics["background_psnr"])
    assert log["metrics"]["unchanged"] is None  # strict JSON: inf is written as null


def test_logs_without_metrics_still_load_and_replay(tiny_editor, tiny_source, scene_image, tmp_path):
    img, m = scene_image
    res = tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=2)
    assert res.metrics is None
    folder = res.save(tmp_path / "plain")
    log, _edit = load_log(folder)
    assert "metrics" not in log  # an old-style log
    again = dw.replay(folder, editor=tiny_editor)
    assert np.array_equal(np.asarray(again.image), np.asarray(res.image))
