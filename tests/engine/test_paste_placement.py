"""dw.Paste places the reference exactly: at zero offset and scale 1 the image it inverts is the reference itself,
at whole-pixel offsets an exact shifted copy; sub-pixel placements and scales resample without ringing."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.core.images import resize_rgb
from dragon_widgets.engine.edits import EditContext
from dragon_widgets.engine.sampler import GuidedSampler


def _shifted(img: np.ndarray, dx: int, dy: int) -> np.ndarray:
    """``img`` moved by whole pixels, the edge pixels repeated where nothing moved in."""
    h, w = img.shape[:2]
    return img[np.clip(np.arange(h) - dy, 0, h - 1)][:, np.clip(np.arange(w) - dx, 0, w - 1)]


def _inverted_image(reference, mask, offset, scale, size, input_size=None):
    """The image dw.Paste's plan hands to the reference inversion (a stand-in inverter records it; no model)."""
    w, h = size
    seen = []
    z = torch.zeros(1, 4, h // 8, w // 8)

    def invert(img, prompt):
        seen.append(img.copy())
        return SimpleNamespace(bank=SimpleNamespace(z_T=z), work_size=size, work_image=img)

    ctx = EditContext(input_size=input_size or size, size=size, latent=(w // 8, h // 8), grid=(w // 4, h // 4),
                      params=dw.get_preset("sd15").mode("paste"), z_T=z, invert=invert)
    edit = dw.Paste(reference=reference, reference_mask=mask, offset=offset, scale=scale).validate(input_size or size)
    edit.plan(ctx)
    (img,) = seen
    return img


def _scene(h=96, w=160, seed=0):
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
    img[30:60, 40:90] = (250, 30, 30)  # a hard-edged object on a noisy ground
    mask = np.zeros((h, w), bool)
    mask[30:60, 40:90] = True
    return img, mask


def test_a_zero_offset_paste_inverts_the_reference_bit_for_bit():
    img, m = _scene()
    placed = _inverted_image(img, m, (0, 0), 1.0, (160, 96))
    assert np.array_equal(placed, img)
    # a reference of another size: exactly the reference resized to the working size, nothing more
    big, bm = _scene(192, 320, seed=1)
    placed = _inverted_image(big, bm, (0, 0), 1.0, (160, 96))
    assert np.array_equal(placed, resize_rgb(big, (160, 96)))


@pytest.mark.parametrize("offset", [(16, 8), (-24, 5), (7, -3), (1, 0)])
def test_an_integer_offset_paste_inverts_an_exact_shifted_copy(offset):
    img, m = _scene()
    placed = _inverted_image(img, m, offset, 1.0, (160, 96))
    assert np.array_equal(placed, _shifted(img, *offset))


def test_input_pixel_offsets_that_are_whole_working_pixels_also_copy_exactly():
    """Offsets are given in pixels of the input; at a working size of half the input, (32, 16) is (16, 8)."""
    img, m = _scene(192, 320)
    placed = _inverted_image(img, m, (32, 16), 1.0, (160, 96), input_size=(320, 192))
    assert np.array_equal(placed, _shifted(resize_rgb(img, (160, 96)), 16, 8))


@pytest.mark.parametrize("offset, scale", [((10.5, 3.25), 1.0), ((12, -6), 0.6), ((-8.3, 4.7), 1.4)])
def test_sub_pixel_placements_and_scales_stay_within_the_references_range(offset, scale):
    """On a hard-edged two-colour reference the placed image holds no value outside the two colours' range."""
    img = np.zeros((96, 160, 3), np.uint8)
    img[..., 2] = 40
    img[30:60, 40:90] = (250, 30, 200)
    m = np.zeros((96, 160), bool)
    m[30:60, 40:90] = True
    placed = _inverted_image(img, m, offset, scale, (160, 96))
    for c in range(3):
        assert placed[..., c].min() >= img[..., c].min() and placed[..., c].max() <= img[..., c].max()
    assert not np.array_equal(placed, img)


@pytest.fixture
def captured(monkeypatch):
    """Run no sampling: record each edit's plan instead."""
    plans = []

    def run(self, z):
        plans.append(self.plan)
        return z

    monkeypatch.setattr(GuidedSampler, "run", run)
    return plans


def test_in_the_editor_the_placed_reference_is_the_reference_moved_by_whole_pixels(
        tiny_editor, tiny_source, scene_image, captured):
    img, m = scene_image
    (w0, h0), (w, h) = tiny_source.size, tiny_source.work_size
    offset = (50, 25)
    dx, dy = offset[0] * w / w0, offset[1] * h / h0
    assert float(dx).is_integer() and float(dy).is_integer()  # whole working pixels on this scene
    tiny_editor.edit(tiny_source, dw.Paste(reference=img, reference_mask=m, offset=offset))
    (plan,) = captured
    placed = plan.references["reference"].work_image
    assert np.array_equal(placed, _shifted(resize_rgb(img, (w, h)), int(dx), int(dy)))
