"""Anchoring outside the edit region: the latent outside the region a mode may change is set back to the inverted
one, so the rest of the picture comes back exactly; off (the official method) by default and in sd15."""

import numpy as np
import pytest

import dragon_widgets as dw
from dragon_widgets.models.random_sd import random_embedded_pipeline


@pytest.fixture(scope="module")
def editor(embedded_preset):
    return dw.DragonEditor(random_embedded_pipeline(0), preset=embedded_preset)


@pytest.fixture(scope="module")
def scene():
    img = np.zeros((64, 64, 3), np.uint8)
    img[..., 0] = np.linspace(60, 200, 64)[None].astype(np.uint8)
    img[..., 1] = 110
    img[..., 2] = 150
    mask = np.zeros((64, 64), bool)
    mask[10:22, 8:20] = True
    img[mask] = (240, 40, 40)
    return img, mask


def test_the_official_presets_never_anchor_and_the_embedded_one_anchors_every_regional_mode():
    for preset in ("sd15", "sdxl"):
        for name, params in dw.get_preset(preset).modes.items():
            assert params.anchor_steps[1] <= params.anchor_steps[0], (preset, name)
    embedded = dw.get_preset("embedded")
    for name in ("move", "drag", "appearance", "paste"):
        lo, hi = embedded.mode(name).anchor_steps
        assert lo == 0 and hi >= embedded.num_steps, name


@pytest.mark.parametrize("mode", ["move", "drag"])
def test_an_anchored_edit_gives_back_every_pixel_outside_its_dilated_region(editor, scene, mode):
    img, mask = scene
    src = editor.invert(img)
    if mode == "move":
        edit = dw.Move(mask=mask, offset=(20, 16))
        region = mask | np.roll(np.roll(mask, 16, 0), 20, 1)
    else:
        region = np.zeros_like(mask)
        region[6:30, 4:30] = True
        edit = dw.Drag(points=[((19, 21), (25, 26))], mask=region)
    steps = (0, editor.preset.num_steps)
    free = editor.edit(src, edit, seed=0, params={"anchor_steps": steps, "anchor_dilate": 1})
    loose = editor.edit(src, edit, seed=0, params={"anchor_steps": (0, 0)})
    # one latent cell of the codec is 2×2 px; the anchored latent is dilated by one cell around the region
    near = np.zeros_like(region)
    ys, xs = np.nonzero(region)
    near[max(0, ys.min() - 4):ys.max() + 5, max(0, xs.min() - 4):xs.max() + 5] = True
    out_a, out_l = np.asarray(free.image), np.asarray(loose.image)
    assert np.array_equal(out_a[~near], img[~near]), "anchored: the rest of the picture comes back exactly"
    assert not np.array_equal(out_l[~near], img[~near]), "without anchoring a random model changes the rest"
    assert free.preset.mode(edit.mode).anchor_steps == steps


def test_anchor_settings_are_checked_by_name(editor, scene):
    img, mask = scene
    src = editor.invert(img)
    with pytest.raises(ValueError, match="anchor_dilate must be a whole number ≥ 0"):
        editor.edit(src, dw.Move(mask=mask, offset=(20, 16)), params={"anchor_steps": (0, 5), "anchor_dilate": -1})
