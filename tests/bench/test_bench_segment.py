import numpy as np
import pytest

from dragon_widgets.core.scenes import Shape, render, render_background, to_uint8
from dragon_widgets.bench.segment import (CLEAN_EDGE_PX, COLOR_NAMES, classify_shape, color_names, delta_e, detect,
                                          edge_width, find_blobs, hue_rgb, iou, parse_caption, segment_color)
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
    # the training world's tones: pale, dark and near-white shapes (a background's "dark"/"light" is not a shape's)
    assert parse_caption("a pale blue circle and a white square and a dark red diamond on a light striped gray "
                         "background") == [("pale blue", "circle"), ("white", "square"), ("dark red", "diamond")]


# ----- colour names of the training world (core/world.py) -----


def _name(rgb) -> str:
    i = int(color_names(np.asarray(rgb, np.float32)[None, None])[0, 0])
    return "none" if i < 0 else COLOR_NAMES[i]


@pytest.mark.parametrize("world", ["train", "shifted"])
def test_the_detector_names_every_world_colour_as_its_captions_do(world):
    from dragon_widgets.core.world import sample_world_shape

    rng = np.random.default_rng(5)
    shapes = [sample_world_shape(rng, world) for _ in range(400)]
    said = [" ".join(w for w in (s.tone, s.color) if w) for s in shapes]
    assert {"pale", "dark"} <= {s.tone for s in shapes} and "white" in said
    assert [_name(s.rgb) for s in shapes] == said
    assert all(_name(hue_rgb(c)) == c for c in COLOR_NAMES)
    assert _name((0.5, 0.5, 0.5)) == _name((0.1, 0.05, 0.12)) == "none"  # grey and very dark: backgrounds


@pytest.mark.parametrize("color,wrong", [("pale blue", "blue"), ("dark red", "red"), ("white", "pale yellow"),
                                         ("green", "dark green")])
def test_detect_finds_pale_dark_and_white_shapes_by_their_caption_names(color, wrong):
    from dragon_widgets.core.scenes import Background, Scene

    bg = Background("gray", (0.42, 0.44, 0.45), (0.55, 0.55, 0.52), 30.0)
    shape = Shape("triangle", color.split()[-1], hue_rgb(color), 0.4, 0.55, 0.26, 50.0)  # rotated: any angle
    img = to_uint8(render(Scene(bg, [shape, Shape("circle", "yellow", hue_rgb("yellow"), 0.78, 0.25, 0.2)]), 64)[0])
    r = detect(img, f"a {color} triangle and a yellow circle on a gray background")
    assert r["all"] and r["items"][0]["color"] == color and r["clean"]
    assert not detect(img, [(wrong, "triangle")])["all"]
    assert not detect(img, [(color, "square")])["all"]


def test_backgrounds_are_not_blobs():
    from dragon_widgets.core.scenes import Background, Scene

    for c1, c2 in (((0.95, 0.95, 0.97), (0.6, 0.62, 0.6)), ((0.97, 0.85, 0.9), (0.5, 0.3, 0.4))):  # white, pale corner
        assert find_blobs(to_uint8(render(Scene(Background("gray", c1, c2, 45.0), []), 64)[0])) == []


def test_detect_world_captions_on_clean_renders():
    from dragon_widgets.core.scenes import caption

    scs = caption_scenes(16, "test")
    results = [detect(to_uint8(render(sc, 64)[0]), caption(sc)) for sc in scs]
    names = {i["color"] for r in results for i in r["items"]}
    assert any(n.startswith(("pale ", "dark ")) or n == "white" for n in names)
    assert sum(r["all"] for r in results) >= 14


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
