"""The one image / mask normaliser (dragon_widgets.core.images): value rules, PIL modes, bad input, huge input."""

from __future__ import annotations

import io
import subprocess
import sys
import tracemalloc
import warnings

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.core.images import MAX_SIDE, load_image, open_image, open_mask, to_mask, to_rgb_array


def rgb(image, **kw):
    return to_rgb_array(image, **kw)


def png_bytes(im: Image.Image, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    im.save(buf, format=fmt)
    return buf.getvalue()


# ------------------------------------------------------------------------------------------ value rules
def test_float_0_255_array_is_not_white():
    assert (rgb(np.full((10, 10, 3), 128.0)) == 128).all()


def test_float_0_1_array_scales_to_255():
    assert (rgb(np.full((10, 10, 3), 0.5, np.float32)) == 128).all()


@pytest.mark.parametrize("value", [200, 30000, 65535])
def test_uint16_array_and_the_same_values_as_I16_give_the_same_picture(value):
    arr = np.full((10, 10), value, np.uint16)
    im = Image.fromarray(arr)
    assert im.mode == "I;16"
    assert np.array_equal(rgb(arr), rgb(im))
    assert rgb(arr)[0, 0, 0] == round(value / 65535 * 255)


def test_pil_F_0_1_is_grey_not_black():
    im = Image.fromarray(np.full((10, 10), 0.5, np.float32), "F")
    assert (rgb(im) == 128).all()


def test_pil_F_0_255_is_grey_not_white():
    im = Image.fromarray(np.full((10, 10), 64.0, np.float32), "F")
    assert (rgb(im) == 64).all()


def test_pil_I_small_values_read_as_8_bit():
    im = Image.fromarray(np.full((10, 10), 100, np.int32), "I")
    assert (rgb(im) == 100).all()


def test_16_bit_png_file_is_scaled_by_65535_even_when_dark():
    data = png_bytes(Image.fromarray(np.full((10, 10), 200, np.uint16)))
    assert Image.open(io.BytesIO(data)).mode in ("I", "I;16")
    assert (open_image(data) == 1).all()  # 200/65535 of white, like the uint16 array


def test_int64_array_in_0_255_reads_like_uint8():
    a = np.arange(100, dtype=np.int64).reshape(10, 10)
    assert np.array_equal(rgb(a), rgb(a.astype(np.uint8)))


def test_bool_array_is_black_and_white():
    a = np.zeros((10, 10), bool)
    a[:5] = True
    out = rgb(a)
    assert (out[:5] == 255).all() and (out[5:] == 0).all()


# ------------------------------------------------------------------------------------------ PIL modes
def test_rgba_transparent_is_white_for_arrays_and_pil_alike():
    a = np.zeros((10, 10, 4), np.uint8)
    a[..., 0] = 255
    a[..., 3] = 128
    assert np.array_equal(rgb(a), rgb(Image.fromarray(a, "RGBA")))
    assert tuple(rgb(a)[0, 0]) == (255, 127, 127)


def test_LA_transparent_is_white():
    assert (rgb(Image.new("LA", (10, 10), (0, 0))) == 255).all()


def test_two_channel_and_complex_arrays_are_refused_naming_the_argument():
    with pytest.raises(ValueError, match=r"image has shape \(10, 10, 2\): two channels are not an image"):
        rgb(np.zeros((10, 10, 2), np.uint8))
    with pytest.raises(ValueError, match="image has dtype complex128: complex values are not an image"):
        rgb(np.zeros((10, 10), np.complex128))
    grey_alpha = Image.fromarray(np.zeros((10, 10, 2), np.uint8), "LA")  # said explicitly: still composited
    assert (rgb(grey_alpha) == 255).all()


def test_palette_with_transparency_is_white_where_transparent():
    im = Image.new("P", (10, 10), 0)
    im.putpalette([10, 20, 30] * 256)
    im.info["transparency"] = 0
    assert (rgb(im) == 255).all()


def test_palette_without_transparency_uses_the_palette_colour():
    im = Image.new("P", (10, 10), 1)
    im.putpalette([0, 0, 0, 10, 20, 30] + [0] * 762)
    assert tuple(rgb(im)[0, 0]) == (10, 20, 30)


def test_cmyk_converts_to_rgb():
    assert tuple(rgb(Image.new("CMYK", (10, 10), (255, 0, 0, 0)))[0, 0]) == (0, 255, 255)


def test_mode_1_is_black_and_white():
    im = Image.new("1", (10, 10), 0)
    im.paste(1, (0, 0, 5, 10))
    out = rgb(im)
    assert (out[:, :5] == 255).all() and (out[:, 5:] == 0).all()


def test_unconvertible_mode_names_the_argument():
    im = Image.new("La", (10, 10))
    with pytest.raises(ValueError, match="reference has PIL mode 'La'"):
        rgb(im, name="reference")


# ------------------------------------------------------------------------------------------ bad arrays
@pytest.mark.parametrize("bad, match", [
    (np.full((10, 10, 3), np.nan), "image contains NaN or infinite values"),
    (np.full((10, 10, 3), np.inf, np.float32), "image contains NaN or infinite values"),
    (np.full((10, 10, 3), -0.5), r"image \(float64\) has values from -0.5 to -0.5; a float image must lie in 0..1 or 0..255"),
    (np.full((10, 10, 3), 300.0), "must lie in 0..1 or 0..255"),
    (np.full((10, 10), -1, np.int16), "an integer image must lie in 0..255 or 0..65535"),
    (np.full((10, 10), 70000, np.int32), "an integer image must lie in 0..255 or 0..65535"),
    (np.zeros((10, 10, 3), np.complex64), "image has dtype complex64"),
    (np.full((10, 10), "a", dtype=object), "image has dtype object"),
    (np.zeros((10, 10, 5), np.uint8), r"image must have shape .* got \(10, 10, 5\)"),
    (np.zeros((2, 10, 10, 3), np.uint8), r"image must have shape .* got \(2, 10, 10, 3\)"),
    (np.zeros((10,), np.uint8), r"image must have shape .* got \(10,\)"),
    (np.zeros((0, 0, 3), np.uint8), "image is too small"),
    (np.zeros((4, 40, 3), np.uint8), r"image is too small \(40×4 px\)"),
], ids=["nan", "inf", "negative-float", "float-above-255", "negative-int", "int-above-65535", "complex", "object",
        "5-channels", "4-d", "1-d", "empty", "too-small"])
def test_bad_arrays_raise_a_value_error_naming_the_argument(bad, match):
    with pytest.raises(ValueError, match=match):
        rgb(bad)


def test_the_argument_name_is_used_in_errors():
    with pytest.raises(ValueError, match="reference contains NaN"):
        rgb(np.full((10, 10, 3), np.nan), name="reference")


def test_a_path_is_refused_by_to_rgb_array_with_a_pointer_to_open_image():
    with pytest.raises(TypeError, match="image must be a PIL.Image or a numpy array.*open_image"):
        rgb("cat.png")


# ------------------------------------------------------------------------------------------ bad files
@pytest.fixture
def truncated_png(tmp_path):
    data = png_bytes(Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)))
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_png_file_is_a_value_error_naming_the_file(truncated_png):
    with pytest.raises(ValueError, match=r"image '.*cut.png' is truncated or corrupt"):
        open_image(truncated_png)


def test_truncated_png_opened_by_the_user_is_a_value_error_not_a_raw_pil_error(truncated_png):
    with pytest.raises(ValueError, match=r"image '.*cut.png' is truncated or corrupt"):
        rgb(Image.open(truncated_png))


def test_text_file_is_not_an_image(tmp_path):
    p = tmp_path / "notes.png"
    p.write_text("hello")
    with pytest.raises(ValueError, match=r"reference '.*notes.png' is not an image file"):
        open_image(p, "reference")


def test_missing_file_names_the_argument_and_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"image '.*nope.png': no such file"):
        open_image(tmp_path / "nope.png")


def test_folder_is_not_an_image(tmp_path):
    with pytest.raises(ValueError, match="is a folder, not an image file"):
        open_image(tmp_path)


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, b"GIF89a"], ids=["empty", "png-header", "gif-header"])
def test_garbage_bytes_are_a_value_error(data):
    with pytest.raises(ValueError, match=r"dropped file \(\d+ bytes\)"):
        open_image(data, "dropped file")


def test_open_image_reads_paths_bytes_and_file_objects_alike(tmp_path):
    im = Image.fromarray(np.random.default_rng(1).integers(0, 255, (12, 16, 3), dtype=np.uint8))
    p = tmp_path / "x.png"
    im.save(p)
    with open(p, "rb") as f:
        a, b, c = open_image(p), open_image(p.read_bytes()), open_image(f)
    assert np.array_equal(a, np.asarray(im)) and np.array_equal(a, b) and np.array_equal(a, c)
    assert load_image is open_image


def test_exif_orientation_applies_to_files_too():
    im = Image.fromarray(np.zeros((20, 40, 3), np.uint8))
    exif = im.getexif()
    exif[0x0112] = 6
    buf = io.BytesIO()
    im.save(buf, format="JPEG", exif=exif)
    assert open_image(buf.getvalue()).shape == (40, 20, 3)


# ------------------------------------------------------------------------------------------ huge input
def _peak_bytes(fn, arg):
    tracemalloc.start()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = fn(arg)
        return out, tracemalloc.get_traced_memory()[1], caught
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("make", [lambda: np.full((8000, 8000, 3), 200, np.uint8),
                                  lambda: np.full((8000, 8000), 0.25, np.float32)], ids=["uint8-rgb", "float32-grey"])
@pytest.mark.slow  # an 8000×8000 input
def test_8000_square_array_is_reduced_in_strips_with_peak_memory_far_below_1GB(make):
    arr = make()
    out, peak, caught = _peak_bytes(rgb, arr)
    assert max(out.shape[:2]) <= MAX_SIDE and out.shape == (4000, 4000, 3)
    assert peak < 1_000_000_000, f"peak {peak / 1e6:.0f} MB above the input"
    assert peak < 300_000_000  # a float64 copy alone would be 1.5 GB
    assert any("reduced to 4000×4000" in str(w.message) for w in caught)
    expected = 200 if arr.dtype == np.uint8 else 64
    assert (out == expected).all()


def test_reduction_keeps_the_picture_and_matches_pil_reduce():
    a = np.zeros((9000, 30, 3), np.uint8)
    a[:4500] = 255
    out = rgb(a, max_side=None)
    assert out.shape == a.shape  # max_side=None keeps the size
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        small = rgb(a)
        via_pil = rgb(Image.fromarray(a))
    assert small.shape == (3000, 10, 3) and np.array_equal(small, via_pil)
    assert (small[:1500] == 255).all() and (small[1500:] == 0).all()


def test_8000_square_jpeg_file_is_decoded_reduced_with_bounded_memory(tmp_path):
    path = tmp_path / "big.jpg"
    Image.new("RGB", (8000, 8000), (10, 200, 30)).save(path, quality=80)
    code = f"""
import resource, warnings
from dragon_widgets.core.images import open_image
warnings.simplefilter("ignore")
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = open_image({str(path)!r})
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(out.shape[0], out.shape[1], (after - before) * 1024)
"""
    h, w, grew = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                         check=True).stdout.split())
    assert (h, w) == (4000, 4000)
    assert grew < 1_000_000_000, f"decoding grew the process by {grew / 1e6:.0f} MB"


# ------------------------------------------------------------------------------------------ masks
def _square(h=20, w=30):
    m = np.zeros((h, w), bool)
    m[5:10, 5:10] = True
    return m


@pytest.mark.parametrize("convert", [
    lambda m: m, lambda m: m.astype(np.float32), lambda m: m.astype(np.uint8) * 255, lambda m: m.astype(np.uint8),
    lambda m: Image.fromarray(m.astype(np.uint8) * 255, "L"), lambda m: Image.fromarray(m),
    lambda m: np.repeat(m[..., None].astype(np.uint8) * 255, 3, axis=2),
    lambda m: np.dstack([np.full(m.shape + (3,), 255, np.uint8), m.astype(np.uint8) * 255]),  # white on transparent
], ids=["bool", "float01", "uint8-255", "uint8-01", "pil-L", "pil-1", "rgb", "rgba-paint"])
def test_one_mask_normaliser_reads_every_kind_alike(convert):
    assert np.array_equal(to_mask(convert(_square()), (30, 20)), _square())


def test_mask_of_the_original_size_is_resized_to_a_reduced_image():
    big = np.kron(_square(), np.ones((2, 2), bool))  # 40×60, drawn on the full-size picture
    assert np.array_equal(to_mask(big, (30, 20)), _square())


@pytest.mark.parametrize("bad, err, match", [
    (np.ones((30, 20), bool), ValueError, r"mask must have the image's size \(H, W\) = \(20, 30\)"),
    (np.full((20, 30), np.nan), ValueError, "mask contains NaN"),
    (np.full((20, 30), -1.0), ValueError, "a float mask must lie in 0..1 or 0..255"),
    (np.zeros((20, 30, 5), np.uint8), ValueError, r"mask must have shape \(H, W\)"),
    (np.zeros((20, 30), np.complex64), ValueError, "mask has dtype complex64"),
    ("mask.png", TypeError, "mask must be a bool numpy array"),
], ids=["wrong-aspect", "nan", "negative", "channels", "complex", "path"])
def test_bad_masks_raise_errors_naming_the_argument(bad, err, match):
    with pytest.raises(err, match=match):
        to_mask(bad, (30, 20))


def test_open_mask_names_the_file_when_truncated(truncated_png):
    with pytest.raises(ValueError, match=r"--mask '.*cut.png' is truncated or corrupt"):
        open_mask(truncated_png, (64, 64), "--mask")


def test_open_mask_reads_a_png(tmp_path):
    Image.fromarray(_square().astype(np.uint8) * 255).save(tmp_path / "m.png")
    assert np.array_equal(open_mask(tmp_path / "m.png", (30, 20)), _square())


def test_a_callers_unloaded_jpeg_is_reduced_without_changing_the_callers_image():
    buf = io.BytesIO()
    Image.new("RGB", (5000, 40), (200, 10, 10)).save(buf, format="JPEG")
    im = Image.open(buf)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = rgb(im)
    assert out.shape == (20, 2500, 3) and im.size == (5000, 40)  # no draft() on someone else's image
    assert np.abs(out[10, 1000].astype(int) - (200, 10, 10)).max() <= 6
