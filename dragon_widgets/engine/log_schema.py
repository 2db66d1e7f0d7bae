"""Reading an edit log as untrusted input: ``edit.json`` may have been written by anyone.

* the JSON is size-capped and must parse (else a ``ValueError`` naming edit.json);
* every key replay uses is checked for presence and type (errors name the key);
* file names (``input``, masks, references) are plain names of PNG files inside the log folder: no ``..``, no
  absolute paths, no symlink that leads out of the folder;
* images are size-capped from their header, before their pixels are decoded, and only PNG is decoded.
Nothing in a log is ever unpickled.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from .arguments import SEED_LIMIT

LOG_NAME = "edit.json"
#: Largest edit.json read (masks and images live in PNG files next to it).
MAX_LOG_BYTES = 4 * 1024 * 1024
#: Largest image a log may hold, per side and in pixels (checked from the PNG header).
MAX_IMAGE_SIDE = 16384
MAX_IMAGE_PIXELS = 80_000_000
#: Longest model name or prompt.
MAX_TEXT = 10_000


def read_log(folder: Path) -> dict:
    """edit.json of ``folder``, parsed and checked (see module docstring)."""
    path = folder / LOG_NAME
    if not path.is_file():
        raise FileNotFoundError(f"no edit log at {path}; pass the folder given to res.save()")
    size = path.stat().st_size
    if size > MAX_LOG_BYTES:
        raise ValueError(f"{path} is {size} bytes; an edit log is at most {MAX_LOG_BYTES} (images live in PNG files)")
    try:
        log = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as err:
        raise ValueError(f"{path} is not a valid JSON edit log ({type(err).__name__}: {str(err)[:200]})") from None
    if not isinstance(log, dict):
        raise ValueError(f"{path} must hold a JSON object, got {type(log).__name__}")
    return log


def check_log(log: dict, version: int) -> dict:
    """``log`` with the keys replay uses checked; ``ValueError`` naming the first bad key."""
    if log.get("version") != version or isinstance(log.get("version"), bool):
        raise ValueError(f"edit log version {log.get('version')!r} is not supported (expected {version})"[:300])
    for key in ("preset", "edit"):
        _need(log, key, dict, "an object")
    for key in ("prompt", "source_prompt"):
        _need(log, key, str, "a string")
        if len(log[key]) > MAX_TEXT:
            raise ValueError(f"{key} is longer than {MAX_TEXT} characters")
    _need(log, "input", str, "a file name")
    seed = _need(log, "seed", int, "an integer")
    if isinstance(seed, bool) or not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"seed must be an integer in [0, 2**63), got {seed!r}"[:300])
    model = log.get("model")
    if model is not None and (not isinstance(model, str) or len(model) > MAX_TEXT or "\x00" in model):
        raise ValueError(f"model must be a model name or path (a string), got {model!r}"[:300])
    return log


def _need(log: dict, key: str, kind: type, what: str) -> Any:
    if key not in log:
        raise ValueError(f"the key {key!r} is missing")
    if not isinstance(log[key], kind):
        raise ValueError(f"{key} must be {what}, got {type(log[key]).__name__} {log[key]!r}"[:300])
    return log[key]


def log_file(folder: Path, name: Any, key: str) -> Path:
    """The file ``name`` of the log in ``folder``, refused unless it is a plain file name of a regular file that
    stays inside the folder (symlinks included)."""
    if not isinstance(name, str) or not name or len(name) > 255:
        raise ValueError(f"{key} must be a file name in the log folder, got {name!r}"[:300])
    if "/" in name or "\\" in name or "\x00" in name or name in (".", "..") or Path(name).is_absolute() \
            or Path(name).name != name or ":" in name:
        raise ValueError(f"{key} = {name!r} is not a plain file name: a log may only name files inside its own "
                         f"folder"[:300])
    root = folder.resolve()
    path = (folder / name).resolve()
    if path.parent != root:
        raise ValueError(f"{key} = {name!r} leads outside the log folder (a symlink to {path}?)"[:300])
    if not path.is_file():
        raise ValueError(f"{key} names {name!r}, which is not a file in {folder}")
    return path


def open_log_image(folder: Path, name: Any, key: str) -> Image.Image:
    """The PNG ``name`` of the log, decoded after its header passed the size cap; ``ValueError`` naming ``key``."""
    path = log_file(folder, name, key)
    too_big = f"{key} ({name}) is too large: a log image may have at most {MAX_IMAGE_SIDE} px a side and " \
              f"{MAX_IMAGE_PIXELS} pixels"
    try:
        with Image.open(path, formats=["PNG"]) as im:
            w, h = im.size
            if max(w, h) > MAX_IMAGE_SIDE or w * h > MAX_IMAGE_PIXELS:
                raise ValueError(f"{too_big}, it has {w}×{h}")
            im.load()
            return im.copy()
    except ValueError:
        raise
    except Image.DecompressionBombError:  # PIL's own, lower guard (at open, from the header)
        raise ValueError(too_big) from None
    except Exception as err:  # not a PNG, truncated, corrupt: PIL raises many types
        raise ValueError(f"{key} ({name}) is not a readable PNG image ({type(err).__name__}: {str(err)[:200]})") from None


def edit_value(folder: Path, key: str, value: Any) -> Any:
    """One value of the log's ``edit``: JSON as is, or ``{"png": name}`` loaded as a mask (L/1) or an RGB array."""
    if not isinstance(value, dict):
        return value
    if set(value) != {"png"}:
        raise ValueError(f"edit.{key} must be a JSON value or {{\"png\": file name}}, got keys {sorted(map(str, value))}"[:300])
    im = open_log_image(folder, value["png"], f"edit.{key}")
    if im.mode in ("L", "1"):
        return np.asarray(im.convert("L")) >= 128
    return np.asarray(im.convert("RGB"))
