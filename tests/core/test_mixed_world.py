"""The mixed training world: empty backgrounds, both earlier worlds, objects cut by the frame."""

import numpy as np
import pytest

from dragon_widgets.core.mixed_world import MIXED, OFF_FRAME_CUT, sample_mixed_scene
from dragon_widgets.core.scenes import SHAPE_HUES, caption, render
from dragon_widgets.core.world import _in_bands


def draw(n=400, seed=0, **shares):
    rng = np.random.default_rng(seed)
    return [sample_mixed_scene(rng, shares or None) for _ in range(n)]


def off_frame(shape) -> bool:
    return min(shape.cx, shape.cy) < shape.radius or max(shape.cx, shape.cy) > 1 - shape.radius


def test_the_shares_of_empty_and_off_frame_scenes_are_the_documented_ones():
    scenes = draw()
    empty = np.mean([not s.shapes for s in scenes])
    assert abs(empty - MIXED["empty"]) < 0.05
    with_objects = [s for s in scenes if s.shapes]
    cut = np.mean([any(off_frame(o) for o in s.shapes) for s in with_objects])
    assert abs(cut - MIXED["off_frame"]) < 0.06


def test_an_off_frame_object_is_partly_visible_by_the_documented_amount():
    for s in draw(200, seed=1, empty=0.0, off_frame=1.0):
        o = next(o for o in s.shapes if off_frame(o))
        outside = max(o.radius - min(o.cx, o.cy), max(o.cx, o.cy) - (1 - o.radius))
        assert OFF_FRAME_CUT[0] * o.size - 1e-9 <= outside <= OFF_FRAME_CUT[1] * o.size + 1e-9
        img, masks = render(s, 64)
        assert masks[-1].sum() > 0, "the cut object must still be visible"


def test_empty_scenes_render_as_plain_background_and_are_captioned_so():
    for s in draw(60, seed=2, empty=1.0):
        assert s.shapes == []
        assert caption(s).startswith("on a ") and caption(s).endswith("background")


def test_no_draw_comes_from_the_held_out_hue_bands():
    hues = []
    for s in draw(300, seed=3, empty=0.0):
        for o in s.shapes:
            if o.color in SHAPE_HUES:
                import colorsys
                h, sat, v = colorsys.rgb_to_hsv(*o.rgb)
                if sat > 0.2:
                    hues.append(h * 360)
    assert hues and not any(_in_bands(h) for h in hues)


def test_unknown_shares_are_refused_by_name():
    with pytest.raises(ValueError, match="shares: unknown keys \\['emtpy'\\]"):
        sample_mixed_scene(np.random.default_rng(0), {"emtpy": 0.5})
