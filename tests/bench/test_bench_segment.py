import numpy as np
import pytest

from dragon_widgets.core.scenes import Shape, render, render_background, to_uint8
from dragon_widgets.bench.segment import (CLEAN_EDGE_PX, classify_shape, delta_e, detect, edge_width, find_blobs, iou,
                                          parse_caption, segment_color)
from dragon_widgets.bench.tasks import caption_scenes, inversion_scenes


@pytest.fixture(scope="module")
def scenes_():
    return inversion_scenes(12, "test-v1")  # the estimated-background path leans on v1's saturated shapes


def test_segment_finds_each_object_on_clean_renders(scenes_):
    for sc in scenes_:
        img, alphas = render(sc, 64)
        u8, bg = to_uint8(img), render_background(sc.background, 64)
        for i, s in enumerate(sc.shapes):
            others = [o.rgb for j, o in enumerate(sc.shapes) if j != i]
            gt = alphas[i] >= 0.5
            assert iou(segment_color(u8, s.rgb, bg, others), gt) > 0.95
            # without the known background (estimated from the image) it still works
            assert iou(segment_color(u8, s.rgb, None, others), gt) > 0.9


def test_segment_ignores_absent_colours(scenes_):
    sc = scenes_[0]
    u8 = to_uint8(render(sc, 64)[0])
    import colorsys

    hues = [colorsys.rgb_to_hsv(*s.rgb)[0] * 360 for s in sc.shapes]
    far = next(h for h in range(0, 360, 30) if all(min(abs(h - g), 360 - abs(h - g)) >= 90 for g in hues))
    absent = colorsys.hsv_to_rgb(far / 360, 0.9, 0.9)
    assert all(delta_e(absent, s.rgb) > 60 for s in sc.shapes)
    assert segment_color(u8, absent, render_background(sc.background, 64)).sum() < 5


@pytest.mark.parametrize("kind", ["circle", "square", "triangle", "diamond"])
def test_classify_shape(kind):
    for size, angle in ((0.2, 0.0), (0.3, 8.0 if kind in ("square", "triangle") else 0.0)):
        m = render_mask(Shape(kind, "red", (1, 0, 0), 0.45, 0.55, size, angle))
        k, fit = classify_shape(m)
        assert k == kind and fit > 0.85


def render_mask(shape):
    from dragon_widgets.core.scenes import shape_alpha

    return shape_alpha(shape, 64) >= 0.5


def test_detect_captions_on_clean_renders():
    ok = 0
    scs = caption_scenes(16, "test-v1")
    from dragon_widgets.core.scenes import caption

    for sc in scs:
        r = detect(to_uint8(render(sc, 64)[0]), caption(sc))
        ok += r["all"]
        assert r["edge_px"] <= CLEAN_EDGE_PX and r["clean"]
    assert ok >= 15
    # asking for something that is not there fails
    sc = scs[0]
    wrong_color = next(c for c in ("red", "green", "blue", "yellow") if c not in {s.color for s in sc.shapes})
    assert not detect(to_uint8(render(sc, 64)[0]), [(wrong_color, sc.shapes[0].kind)])["all"]


def test_parse_caption():
    assert parse_caption("a red circle and a blue square on a striped green background") == [
        ("red", "circle"), ("blue", "square")]
    assert parse_caption("on a gray background") == []


def test_edge_width_detects_blur():
    sc = caption_scenes(1, "test-v1")[0]
    img, alphas = render(sc, 64)
    m = alphas[0] >= 0.5
    sharp = edge_width(to_uint8(img), m)
    # box-blur the image (3×3, twice): edges get ~3 px wide
    b = img.copy()
    for _ in range(2):
        p = np.pad(b, ((1, 1), (1, 1), (0, 0)), mode="edge")
        b = sum(p[dy:dy + 64, dx:dx + 64] for dy in range(3) for dx in range(3)) / 9
    blurred = edge_width(to_uint8(b), m)
    assert sharp <= CLEAN_EDGE_PX < blurred
    assert len(find_blobs(to_uint8(img))) == len(sc.shapes)
