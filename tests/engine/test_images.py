import io
import warnings

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.core.images import to_mask, to_rgb_array, warn_if_huge, working_size


def test_grayscale_rgba_16bit_and_float_are_converted_to_rgb_uint8():
    g = Image.fromarray(np.full((20, 30), 128, np.uint8), "L")
    assert to_rgb_array(g).shape == (20, 30, 3)
    rgba = np.zeros((20, 30, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 0  # fully transparent → white
    assert (to_rgb_array(rgba) == 255).all()
    a16 = np.full((20, 30, 3), 65535, np.uint16)
    assert (to_rgb_array(a16) == 255).all()
    i16 = Image.fromarray(np.full((20, 30), 30000, np.uint16))
    assert to_rgb_array(i16).dtype == np.uint8
    assert to_rgb_array(np.full((20, 30, 3), 0.5)).max() == 128


@pytest.mark.parametrize("bad, err", [(np.zeros((4, 4, 3), np.uint8), ValueError), ("x.png", TypeError),
                                      (np.zeros((20, 20, 5), np.uint8), ValueError),
                                      (np.full((20, 20, 3), np.nan), ValueError)])
def test_bad_images_raise_clear_errors(bad, err):
    with pytest.raises(err, match="image"):
        to_rgb_array(bad)


def test_masks_are_checked_for_size_emptiness_and_fullness():
    size = (30, 20)
    with pytest.raises(ValueError, match=r"mask must have the image's size \(H, W\) = \(20, 30\)"):
        to_mask(np.ones((30, 20), bool), size)
    with pytest.raises(ValueError, match="mask is empty"):
        to_mask(np.zeros((20, 30), bool), size)
    with pytest.raises(ValueError, match="covers the whole image"):
        to_mask(np.ones((20, 30), bool), size)
    m = np.zeros((20, 30), np.uint8)
    m[5:10, 5:10] = 255
    assert to_mask(Image.fromarray(m, "L"), size).sum() == 25
    assert to_mask(m, size).sum() == 25


def test_working_size_keeps_aspect_and_multiples():
    assert working_size((512, 512), 512, 64) == (512, 512)
    w, h = working_size((1000, 500), 512, 64)
    assert w % 64 == 0 and h % 64 == 0 and w > h
    assert working_size((640, 480), 64, 16) == (80, 48)


def test_huge_images_warn():
    with pytest.warns(UserWarning, match="fine detail is lost"):
        warn_if_huge((5000, 3000), (512, 320))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_huge((800, 600), (512, 384))


def test_exif_orientation_is_applied_like_image_viewers_do():
    im = Image.fromarray(np.zeros((20, 40, 3), np.uint8))  # stored 40 wide, 20 high
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif)
    shown = to_rgb_array(Image.open(buf))
    assert shown.shape == (40, 20, 3)  # what the user saw and drew masks on
