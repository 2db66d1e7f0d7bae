"""The app's live paste preview places the object exactly where dw.Paste does (same core geometry)."""

from types import SimpleNamespace

import numpy as np
import torch

import dragon_widgets as dw
from dragon_widgets.core.geometry import mask_center
from dragon_widgets.engine.edits import EditContext
from dragon_widgets.widgets._composite import paste_preview


def l_shape(n: int = 512) -> np.ndarray:
    m = np.zeros((n, n), bool)
    m[100:300, 100:160] = True  # the upright bar
    m[240:300, 100:300] = True  # the foot: centroid and box centre are far apart
    return m


def engine_target(reference, mask, offset, scale, size) -> np.ndarray:
    """The target mask of dw.Paste's plan at working size == input size (no model needed: a stand-in inverter)."""
    w, h = size
    z = torch.zeros(1, 4, h // 8, w // 8)
    ref_src = SimpleNamespace(bank=SimpleNamespace(z_T=z), work_size=size)
    ctx = EditContext(input_size=size, size=size, latent=(w // 8, h // 8), grid=(w // 4, h // 4),
                      params=dw.get_preset("sd15").mode("paste"), z_T=z, invert=lambda img, prompt: ref_src)
    edit = dw.Paste(reference=reference, reference_mask=mask, offset=offset, scale=scale).validate(size)
    return edit.plan(ctx).masks["target"]


def test_paste_preview_equals_the_engine_placement_for_an_l_shape_scaled_1_5_at_512px():
    m = l_shape()
    reference = np.zeros((512, 512, 3), np.uint8)
    reference[m] = 255
    background = np.zeros((512, 512, 3), np.uint8)
    offset, scale = (40.0, -30.0), 1.5
    preview = paste_preview(background, reference, m, offset, scale, alpha=1.0)
    pasted = preview.max(axis=2) > 127
    target = engine_target(reference, m, offset, scale, (512, 512))
    assert target.sum() > 1.5 ** 2 * m.sum() * 0.95
    assert np.array_equal(pasted, target)
    # the old preview scaled about the centroid; dw.Paste scales about the box centre, ≈ 20 px apart here
    ys, xs = np.nonzero(m)
    centroid = np.array([xs.mean() + 0.5, ys.mean() + 0.5])
    assert np.hypot(*(centroid - np.array(mask_center(m)))) * (scale - 1) > 10


def test_paste_preview_leaves_the_background_without_an_object():
    bg = np.full((64, 64, 3), 9, np.uint8)
    assert np.array_equal(paste_preview(bg, bg, np.zeros((64, 64), bool), (3, 3), 1.2), bg)
