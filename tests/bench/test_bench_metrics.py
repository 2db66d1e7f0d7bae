import math

import numpy as np
import pytest

from dragon_widgets.bench.metrics import (background_psnr, drag_distances, fit_vertex, ghost_fraction, psnr, score,
                                          summarize, target_iou)
from dragon_widgets.bench.tasks import KINDS, make_tasks


@pytest.fixture(scope="module")
def tasks():
    return make_tasks("test", 3)


def test_psnr():
    a = np.zeros((4, 4, 3), np.uint8)
    assert psnr(a, a) == math.inf
    b = a.copy()
    b[0, 0, 0] = 255
    assert psnr(a, b) == pytest.approx(10 * math.log10(48))
    assert psnr(a, b, mask=np.ones((4, 4), bool) & (np.arange(16).reshape(4, 4) > 0)) == math.inf
    assert math.isnan(psnr(a, b, mask=np.zeros((4, 4), bool)))


def test_perfect_edit_scores_perfectly(tasks):
    for t in tasks:
        s = score(t.target_image, t, seconds=1.0)
        assert s.iou > 0.97, t.id
        assert math.isnan(s.ghost) or s.ghost == 0.0
        assert s.bg_psnr > 40
        assert s.success, s
        if t.kind == "drag":
            assert s.md_end < 1.0 < s.md_start


def test_untouched_image_fails(tasks):
    for t in tasks:
        s = score(t.source_image, t)
        assert not s.success, t.id
        assert s.bg_psnr == math.inf  # nothing outside the edit region changed
        if t.kind == "move":
            assert s.iou < 0.2 and s.ghost > 0.9
        if t.kind in ("paste", "appearance"):
            assert s.iou < 0.05
        if t.kind == "appearance":
            assert s.ghost > 0.9
        if t.kind == "drag":
            assert s.md_end == pytest.approx(s.md_start, abs=1.0)


def test_each_metric_on_constructed_cases(tasks):
    t = next(t for t in tasks if t.kind == "move")
    # object pasted at the target but the original left in place: the duplicate halves IoU, ghost total
    both = t.target_image.copy()
    both[t.mask] = t.source_image[t.mask]
    assert target_iou(both, t) == pytest.approx(0.5, abs=0.03)
    assert ghost_fraction(both, t) > 0.9
    # a damaged background: PSNR drops, object metrics unaffected
    noisy = t.target_image.astype(int)
    noisy[::2, ::2] = 255 - noisy[::2, ::2]
    noisy = noisy.clip(0, 255).astype(np.uint8)
    assert background_psnr(noisy, t) < 20
    # drag: vertex fit recovers the ground-truth vertex on the target render
    d = next(t for t in tasks if t.kind == "drag")
    from dragon_widgets.bench.metrics import object_mask

    ex, ey = fit_vertex(object_mask(d.target_image, d), d.scene.shapes[d.index], d.vertex)
    gx, gy = d.points[0][1]
    assert math.hypot(ex - gx, ey - gy) < 1.5
    start, end = drag_distances(d.target_image, d)
    assert end < 0.3 * start


def test_result_shape_checked(tasks):
    with pytest.raises(ValueError, match="64"):
        score(np.zeros((32, 32, 3), np.uint8), tasks[0])


def test_summarize(tasks):
    scores = [score(t.target_image, t, 2.0) for t in tasks] + [score(t.source_image, t, 1.0) for t in tasks]
    s = summarize(scores)
    assert list(s) == list(KINDS)
    for k in KINDS:
        assert s[k]["n"] == 6 and s[k]["success"] == pytest.approx(0.5)
        assert s[k]["seconds"] == pytest.approx(1.5)


def test_drag_distances_are_paired_and_lost_shapes_counted(tasks):
    drag = [t for t in tasks if t.kind == "drag"]
    blank = np.broadcast_to(np.asarray(drag[0].source_image).mean((0, 1), keepdims=True), (64, 64, 3)).astype(np.uint8)
    scores = [score(drag[0].target_image, drag[0]), score(blank, drag[0])]
    assert math.isnan(scores[1].md_end) and not math.isnan(scores[1].md_start)
    s = summarize(scores)["drag"]
    assert s["md_lost"] == 1
    assert s["md_start"] == pytest.approx(scores[0].md_start) and s["md_end"] == pytest.approx(scores[0].md_end)
