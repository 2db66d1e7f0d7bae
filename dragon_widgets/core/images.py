"""Input conversion: images and masks from files, bytes, PIL images and numpy arrays into checked uint8 RGB and
bool arrays. The engine, the widgets and the CLI all read images through this module (torch-free).

Public functions (stable names; the widgets' file drop and the CLI call them):

- :func:`to_rgb_array` — PIL image or array → uint8 (H, W, 3).
- :func:`open_image` (alias :func:`load_image`) — file path, bytes or binary file → uint8 (H, W, 3).
- :func:`to_mask` — bool / 0..1 / 0..255 array or PIL ``L``/``1`` image → bool (H, W) of the image's size.
- :func:`open_mask` (alias :func:`load_mask`) — a mask file → bool (H, W) of the image's size.

Value rules (decided by dtype, then by range, never per pixel):

- ``uint8``: 0..255. ``uint16`` and PIL ``I;16``: 0..65535 (a 16-bit array and the same values as ``I;16`` give the
  same picture). ``bool``: 0/1.
- Other integer arrays (and PIL ``I``, except 16-bit PNG files, which are 0..65535): 0..255 when the largest value is
  at most 255, else 0..65535; negative values or values above 65535 are refused.
- Floats (and PIL ``F``): 0..1 when the largest value is at most 1, else 0..255; NaN/inf, values below 0 or above
  255 are refused.
- Alpha (RGBA, LA, PA, P with transparency, (H, W, 4) arrays) is composited over white. (H, W, 2) arrays and
  complex arrays are refused: two channels or complex values are not a picture one can tell apart from data.
- EXIF orientation is applied (the picture as viewers show it). CMYK, P, 1, YCbCr, LAB, HSV convert to RGB.
- Images with a side above :data:`MAX_SIDE` are reduced by a whole factor *while decoding* (JPEG by ``draft``,
  other formats by ``Image.reduce``, arrays by area averaging in strips before any float conversion), with a
  warning; masks of the original size are then resized to the reduced image by :func:`to_mask`.
"""

from __future__ import annotations

import io
import math
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, UnidentifiedImageError, ImageOps

#: Inputs with a side above this are accepted but warned about (the edit runs at the working size).
HUGE_SIDE = 4096
#: Inputs with a side above this are reduced by a whole factor while decoding (memory stays bounded).
MAX_SIDE = 4096
#: Elements converted to float at a time when reducing / scaling arrays (bounds the temporary memory).
_STRIP_ELEMENTS = 4_000_000

_ALPHA_MODES = ("RGBA", "LA", "PA", "RGBa")
_SIXTEEN_BIT = ("I;16", "I;16B", "I;16L", "I;16N")
_TRANSPOSE = {2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180, 4: Image.Transpose.FLIP_TOP_BOTTOM,
              5: Image.Transpose.TRANSPOSE, 6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE,
              8: Image.Transpose.ROTATE_90}


# --------------------------------------------------------------------------------------------- images
def to_rgb_array(image: Any, name: str = "image", min_side: int = 8, max_side: int | None = MAX_SIDE) -> np.ndarray:
    """PIL image or numpy array → uint8 (H, W, 3), by the module's value rules (see the module docstring).

    Grayscale, alpha (over white), 16-bit, float and palette inputs are converted; EXIF orientation is applied;
    a side above ``max_side`` is reduced by a whole factor while converting (with a warning; ``None`` keeps the
    size). Sides below ``min_side`` are refused (the engine needs 8 pixels). Errors name ``name``: ``TypeError``
    for other types, ``ValueError`` for bad shapes, dtypes, NaN or out-of-range values and unreadable pixels.
    """
    if isinstance(image, Image.Image):
        return _pil_to_rgb(image, name, min_side, max_side)
    if isinstance(image, np.ndarray):
        if image.ndim == 3 and image.shape[2] == 2:  # grey + alpha, a flow field, a complex pair: ambiguous
            raise ValueError(f"{name} has shape {image.shape}: two channels are not an image; give (H, W) grey, "
                             f"(H, W, 3) RGB or (H, W, 4) RGBA (grey with alpha: PIL.Image.fromarray(a, 'LA'))")
        if np.iscomplexobj(image):
            raise ValueError(f"{name} has dtype {image.dtype}: complex values are not an image; give real numbers "
                             f"(e.g. np.abs(a) of a spectrum, scaled to 0..1 or 0..255)")
        return _array_to_rgb(image, name, min_side, max_side)
    raise TypeError(f"{name} must be a PIL.Image or a numpy array (H, W[, C]), got {type(image).__name__}; "
                    f"to read a file use dragon_widgets.core.images.open_image(path)")


def open_image(source: Any, name: str = "image", min_side: int = 8, max_side: int | None = MAX_SIDE) -> np.ndarray:
    """Read an image file (path, ``bytes`` or a binary file object) → uint8 (H, W, 3) by :func:`to_rgb_array`'s rules.

    Huge JPEGs are decoded at a reduced scale (``draft``), so an 8000×8000 photo never exists at full size in
    memory. A missing file raises ``FileNotFoundError``; a non-image, truncated or corrupt file ``ValueError``;
    both name ``name`` and the file.
    """
    with _opened(source, name) as (im, label):
        return _pil_to_rgb(im, name, min_side, max_side, label=label, own=True)


#: Alias of :func:`open_image` (the widgets' file drop calls it by this name too).
load_image = open_image


class _opened:
    """Context manager: a lazily opened PIL image for a path / bytes / file object, with errors naming the file."""

    def __init__(self, source: Any, name: str) -> None:
        self.source, self.name = source, name
        self.im: Image.Image | None = None

    def __enter__(self) -> tuple[Image.Image, str]:
        src, name = self.source, self.name
        if isinstance(src, (str, os.PathLike)):
            path = Path(src).expanduser()
            label = f"{name} {str(src)!r}"
            if not path.exists():
                raise FileNotFoundError(f"{label}: no such file")
            if path.is_dir():
                raise ValueError(f"{label} is a folder, not an image file")
            fp: Any = str(path)
        elif isinstance(src, (bytes, bytearray, memoryview)):
            label = f"{name} ({len(src)} bytes)"
            fp = io.BytesIO(bytes(src))
        elif hasattr(src, "read"):
            label = f"{name} {getattr(src, 'name', '(file object)')!r}"
            fp = src
        else:
            raise TypeError(f"{name} must be a file path, bytes or a binary file object, got {type(src).__name__}")
        try:
            self.im = Image.open(fp)
        except Image.DecompressionBombError as err:
            raise ValueError(f"{label} is too large to decode safely ({err})") from None
        except (OSError, ValueError, SyntaxError) as err:  # UnidentifiedImageError is an OSError
            if isinstance(err, PermissionError):
                raise ValueError(f"{label} cannot be read: permission denied") from None
            if isinstance(err, UnidentifiedImageError):  # its text is a repr of the file object: say it in words
                raise ValueError(f"{label} is not an image file (not PNG, JPEG, WebP, GIF, BMP, TIFF or another "
                                 f"format PIL reads)") from None
            raise ValueError(f"{label} is not an image file PIL can read ({_first_line(err)})") from None
        return self.im, label

    def __exit__(self, *exc: Any) -> None:
        if self.im is not None:
            self.im.close()


def _first_line(err: BaseException) -> str:
    text = str(err).strip().splitlines()
    return text[0][:200] if text else type(err).__name__


def _factor(size: tuple[int, int], max_side: int | None) -> int:
    """Smallest whole factor that brings the longest side within ``max_side`` (1: no reduction)."""
    if not max_side or max(size) <= max_side:
        return 1
    return math.ceil(max(size) / max_side)


def _warn_reduced(name: str, size: tuple[int, int], new: tuple[int, int]) -> None:
    warnings.warn(f"{name} is {size[0]}×{size[1]} px; it was reduced to {new[0]}×{new[1]} px while reading (the edit "
                  f"runs at about 512 px anyway). Masks of the original size are resized to it; give points and "
                  f"offsets in the reduced image's pixels.", UserWarning, stacklevel=4)


def _orientation(im: Image.Image) -> int:
    try:
        return int(im.getexif().get(0x0112, 1) or 1)
    except Exception:  # unreadable EXIF must not block the picture
        return 1


def _pil_to_rgb(im: Image.Image, name: str, min_side: int, max_side: int | None, label: str | None = None,
                own: bool = False) -> np.ndarray:
    """``own``: the image was opened here, so it may be decoded at a reduced scale (``draft`` changes the object;
    a caller's image is never changed)."""
    label = label or (f"{name} {im.filename!r}" if getattr(im, "filename", "") else name)
    size = im.size
    _check_side(size, name, min_side)
    orient = _orientation(im)
    k = _factor(size, max_side)
    try:
        if own and k > 1 and im.format == "JPEG" and im.mode in ("RGB", "L", "CMYK", "YCbCr"):
            im.draft(im.mode, (math.ceil(size[0] / k), math.ceil(size[1] / k)))  # DCT-domain downscale
        im.load()
        arr = _pil_pixels(im, name, _factor(im.size, max_side))
    except (OSError, SyntaxError) as err:  # truncated / corrupt data surfaces on load
        raise ValueError(f"{label} is truncated or corrupt ({_first_line(err)})") from None
    except Image.DecompressionBombError as err:
        raise ValueError(f"{label} is too large to decode safely ({err})") from None
    if orient in _TRANSPOSE:
        arr = np.asarray(Image.fromarray(arr).transpose(_TRANSPOSE[orient]))
    if k > 1:
        _warn_reduced(name, size, (arr.shape[1], arr.shape[0]))
    return np.ascontiguousarray(arr)


def _pil_pixels(im: Image.Image, name: str, k: int) -> np.ndarray:
    """Decoded PIL image → uint8 RGB, reduced by the whole factor ``k``."""
    mode = im.mode
    if mode == "F":
        return _array_to_rgb(np.asarray(im, dtype=np.float32), name, 1, None, factor=k)
    if mode in _SIXTEEN_BIT:
        return _array_to_rgb(np.asarray(im).astype(np.uint16, copy=False), name, 1, None, factor=k)
    if mode == "I":
        arr = np.asarray(im, dtype=np.int32)
        if im.format == "PNG":  # PNG holds at most 16 bits a sample: scale like I;16
            if arr.size and (arr.min() < 0 or arr.max() > 65535):
                raise ValueError(f"{name} (16-bit PNG) has values outside 0..65535")
            arr = arr.astype(np.uint16)
        return _array_to_rgb(arr, name, 1, None, factor=k)
    try:
        if mode == "1":
            im = im.convert("L")
        elif mode in ("P", "PA"):
            im = im.convert("RGBA" if (mode == "PA" or "transparency" in im.info) else "RGB")
        if im.mode in _ALPHA_MODES:
            im = im.convert("RGBA")
            if k > 1:  # reduce premultiplied, so hidden colours under transparent pixels do not bleed
                im = im.convert("RGBa").reduce(k).convert("RGBA")
            return _over_white_uint8(np.asarray(im.convert("RGBA")))
        if k > 1:
            im = im.reduce(k)
        return np.asarray(im.convert("RGB"))
    except ValueError as err:
        raise ValueError(f"{name} has PIL mode {mode!r}, which cannot be converted to RGB ({err})") from None


def _over_white_uint8(rgba: np.ndarray) -> np.ndarray:
    a = rgba[..., 3:4].astype(np.uint16)
    out = (rgba[..., :3].astype(np.uint16) * a + 255 * (255 - a) + 127) // 255
    return out.astype(np.uint8)


def _check_side(size: tuple[int, int], name: str, min_side: int) -> None:
    w, h = size
    if w < min_side or h < min_side or w * h == 0:
        raise ValueError(f"{name} is too small ({w}×{h} px); at least {max(min_side, 1)}×{max(min_side, 1)} is needed")


def _value_scale(arr: np.ndarray, name: str, what: str = "image") -> float:
    """The value that means 'full white' for this array, by the module's dtype and range rules; checks values."""
    dt = arr.dtype
    if dt == np.uint8:
        return 255.0
    if dt == np.uint16:
        return 65535.0
    if dt == np.bool_:
        return 1.0
    if not (np.issubdtype(dt, np.integer) or np.issubdtype(dt, np.floating)):
        raise ValueError(f"{name} has dtype {dt}; expected bool, an integer type (0..255 or 0..65535) or a float "
                         f"type (0..1 or 0..255)")
    lo, hi = _min_max(arr, name)
    if np.issubdtype(dt, np.integer):
        if lo < 0 or hi > 65535:
            raise ValueError(f"{name} ({dt}) has values from {lo} to {hi}; an integer {what} must lie in 0..255 "
                             f"or 0..65535")
        return 255.0 if hi <= 255 else 65535.0
    if lo < -1e-3 or hi > 255.0 + 1e-3:
        raise ValueError(f"{name} ({dt}) has values from {lo:g} to {hi:g}; a float {what} must lie in 0..1 "
                         f"or 0..255")
    return 1.0 if hi <= 1.0 + 1e-6 else 255.0


def _min_max(arr: np.ndarray, name: str) -> tuple[float, float]:
    """Min and max, refusing NaN/inf, computed in strips so no full-size temporary is made."""
    lo, hi = math.inf, -math.inf
    rows = max(1, _STRIP_ELEMENTS // max(1, arr[:1].size))
    floating = np.issubdtype(arr.dtype, np.floating)
    for r0 in range(0, arr.shape[0], rows):
        s = arr[r0:r0 + rows]
        if s.size == 0:
            continue
        smin, smax = s.min(), s.max()
        if floating and not (np.isfinite(smin) and np.isfinite(smax)):
            raise ValueError(f"{name} contains NaN or infinite values")
        lo, hi = min(lo, smin.item()), max(hi, smax.item())
    return lo, hi


def _array_to_rgb(arr: np.ndarray, name: str, min_side: int, max_side: int | None, factor: int | None = None) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)):
        raise ValueError(f"{name} must have shape (H, W), (H, W, 1), (H, W, 2) grey+alpha, (H, W, 3) RGB or "
                         f"(H, W, 4) RGBA, got {arr.shape}")
    h, w = arr.shape[:2]
    _check_side((w, h), name, min_side)
    scale = _value_scale(arr, name)
    k = factor if factor is not None else _factor((w, h), max_side)
    if k == 1 and arr.dtype == np.uint8 and arr.ndim == 3 and arr.shape[2] == 3:
        return np.array(arr, copy=True, order="C")
    out = np.empty((math.ceil(h / k), math.ceil(w / k), 3), np.uint8)
    rows = max(k, (_STRIP_ELEMENTS // max(1, w * (arr.shape[2] if arr.ndim == 3 else 1))) // k * k)
    for r0 in range(0, h, rows):
        rgb = _reduce_over_white(arr[r0:r0 + rows], k, np.float32(1.0 / scale))
        np.multiply(rgb, 255.0, out=rgb)
        np.add(rgb, 0.5, out=rgb)
        np.clip(rgb, 0, 255, out=rgb)
        out[r0 // k:r0 // k + rgb.shape[0]] = rgb  # float → uint8 truncates: +0.5 above makes it round
    if factor is None and k > 1:
        _warn_reduced(name, (w, h), (out.shape[1], out.shape[0]))
    return out


def _reduce_over_white(strip: np.ndarray, k: int, inv: np.float32) -> np.ndarray:
    """A strip of raw values (h, w[, C]) → float32 (ceil(h/k), ceil(w/k), 3) in 0..1: alpha (C = 2 or 4)
    composited over white, k×k blocks averaged (edge blocks average what they hold, like ``Image.reduce``).

    The blocks are summed from k² strided views, so no float copy of the full-size strip is made. Averaging the
    premultiplied colour and the alpha separately equals compositing each pixel first, then averaging."""
    if strip.ndim == 2:
        strip = strip[..., None]
    h, w, c = strip.shape
    alpha = c in (2, 4)
    shape = (math.ceil(h / k), math.ceil(w / k))
    col = np.zeros((*shape, c - 1 if alpha else c), np.float32)
    a_sum = np.zeros((*shape, 1), np.float32)
    cnt = np.zeros((*shape, 1), np.float32)
    for dy in range(k):
        for dx in range(k):
            v = strip[dy::k, dx::k]
            if v.size == 0:
                continue
            sl = (slice(0, v.shape[0]), slice(0, v.shape[1]))
            if alpha:
                a = np.clip(v[..., c - 1:] * inv, 0, 1)
                col[sl] += v[..., :c - 1] * inv * a
                a_sum[sl] += a
            else:
                col[sl] += v
            cnt[sl] += 1
    col /= cnt
    if alpha:
        col += 1 - a_sum / cnt
    else:
        col *= inv
    if col.shape[2] == 1:
        col = np.repeat(col, 3, axis=2)
    return col


def warn_if_huge(size: tuple[int, int], work: tuple[int, int], name: str = "image") -> None:
    if max(size) > HUGE_SIDE:
        warnings.warn(f"{name} is {size[0]}×{size[1]} px; the edit runs at {work[0]}×{work[1]} and the result is "
                      f"resized back, so fine detail is lost. Downscale the image first to save memory.",
                      stacklevel=3)


# ---------------------------------------------------------------------------------------------- masks
def to_mask(mask: Any, size: tuple[int, int], name: str = "mask", allow_empty: bool = False,
            allow_full: bool = False) -> np.ndarray:
    """The one mask normaliser: bool / 0..1 / 0..255 (/ 0..65535) array or PIL image → bool (H, W) for an image of
    ``size`` = (W, H).

    Values are thresholded at half the range the dtype and values imply (0/1 data, of any dtype, at 0.5; 0..255
    data at 128).
    PIL ``1``/``L``/``I``/``I;16``/``F`` are read as values; colour masks (RGB, P) by their brightest channel and
    alpha masks (RGBA, LA, (H, W, 4) arrays) by colour × alpha, so white paint on a transparent layer is the mask.
    A mask of another size with the image's aspect ratio (e.g. drawn on the full-size picture that was reduced
    while reading) is area-resized to the image; any other size is a ``ValueError``. Empty and full masks are
    refused unless ``allow_empty`` / ``allow_full``.
    """
    arr = _mask_values(mask, name)
    w, h = size
    if arr.shape != (h, w):
        mh, mw = arr.shape
        if mh == 0 or mw == 0 or abs(round(mw * h / mh) - w) > 1 or abs(round(mh * w / mw) - h) > 1:
            raise ValueError(f"{name} must have the image's size (H, W) = ({h}, {w}) (or its aspect ratio, to be "
                             f"resized), got {tuple(arr.shape)}")
        arr = np.asarray(Image.fromarray(arr.astype(np.uint8) * 255).resize((w, h), Image.BOX)) >= 128
    n = int(arr.sum())
    if n == 0 and not allow_empty:
        raise ValueError(f"{name} is empty: mark at least one pixel")
    if n == arr.size and not allow_full:
        raise ValueError(f"{name} covers the whole image: leave some background unmasked")
    return arr


def _mask_values(mask: Any, name: str) -> np.ndarray:
    """Any accepted mask input → bool (h, w) at its own size."""
    if isinstance(mask, Image.Image):
        try:
            mask.load()
        except (OSError, SyntaxError) as err:
            raise ValueError(f"{name} is truncated or corrupt ({_first_line(err)})") from None
        if mask.mode == "1":
            return np.asarray(mask, dtype=bool).copy()
        if mask.mode in ("L", "I", "F", *_SIXTEEN_BIT):
            arr = np.asarray(mask)
            if mask.mode in _SIXTEEN_BIT:
                arr = arr.astype(np.uint16, copy=False)
        else:
            arr = np.asarray(mask.convert("RGBA"))
    elif isinstance(mask, np.ndarray):
        arr = mask
    else:
        raise TypeError(f"{name} must be a bool numpy array (H, W) or an 'L'/'1' PIL image, got {type(mask).__name__}")
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (2, 3, 4)):
        raise ValueError(f"{name} must have shape (H, W) (or (H, W, 1/2/3/4) image channels), got {arr.shape}")
    if arr.dtype == np.bool_ and arr.ndim == 2:
        return arr.copy()
    scale = _value_scale(arr, name, what="mask")
    if np.issubdtype(arr.dtype, np.integer) and arr.size and arr.max() <= 1:
        scale = 1.0  # 0/1 integer masks (any integer dtype)
    x = arr.astype(np.float32) / np.float32(scale)
    if x.ndim == 3:
        c = x.shape[2]
        col = x[..., :3].max(axis=2) if c >= 3 else x[..., 0]
        x = col * x[..., c - 1] if c in (2, 4) else col
    return x >= 0.5 - 1e-6


def open_mask(source: Any, size: tuple[int, int], name: str = "mask", allow_empty: bool = False,
              allow_full: bool = False) -> np.ndarray:
    """Read a mask file (path, bytes or binary file) and normalise it by :func:`to_mask` for an image of ``size``.
    Errors name ``name`` and the file (``FileNotFoundError`` / ``ValueError``)."""
    with _opened(source, name) as (im, label):
        try:
            im.load()
        except (OSError, SyntaxError) as err:
            raise ValueError(f"{label} is truncated or corrupt ({_first_line(err)})") from None
        return to_mask(ImageOps.exif_transpose(im), size, label, allow_empty=allow_empty, allow_full=allow_full)


#: Alias of :func:`open_mask`.
load_mask = open_mask


# --------------------------------------------------------------------------------------------- sizes
def working_size(size: tuple[int, int], resolution: int, multiple: int) -> tuple[int, int]:
    """(W, H) with area ≈ resolution², aspect kept, each side a multiple of ``multiple``."""
    w, h = size
    s = resolution / math.sqrt(w * h)
    rw = max(multiple, int(round(w * s / multiple)) * multiple)
    rh = max(multiple, int(round(h * s / multiple)) * multiple)
    return rw, rh


def resize_rgb(arr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    if (arr.shape[1], arr.shape[0]) == tuple(size):
        return arr
    return np.asarray(Image.fromarray(arr).resize(size, Image.LANCZOS))


def resize_mask(mask: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Area-average resize, then threshold at 0.5 (keeps thin strokes better than nearest)."""
    if (mask.shape[1], mask.shape[0]) == tuple(size):
        return mask.copy()
    im = Image.fromarray(mask.astype(np.uint8) * 255).resize(size, Image.BOX)
    return np.asarray(im) >= 128
