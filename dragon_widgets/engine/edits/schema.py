"""The shape of an edit dictionary (``edit_from_dict``'s input: a log's ``"edit"`` with its images loaded, or a
dict a user wrote): known keys, required keys and the type of every value, checked before a class is built.
Every problem is a ``ValueError`` naming the field (``edit.offset``) and what was expected.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable

import numpy as np
from PIL import Image

from ..arguments import number_pair, real_number

#: Most handle→target pairs an edit dictionary may hold.
MAX_POINTS = 10_000
#: Longest prompt string.
MAX_TEXT = 10_000


def _image_like(value: Any, key: str) -> None:
    if isinstance(value, Image.Image) or isinstance(getattr(value, "image", None), Image.Image):
        return  # a PIL image, or a dw.Source (its image)
    if not isinstance(value, np.ndarray):
        raise ValueError(f"{key} must be an image or mask array (numpy) or a PIL image, got {type(value).__name__}")
    if value.ndim not in (2, 3) or (value.ndim == 3 and value.shape[2] not in (1, 3, 4)):
        raise ValueError(f"{key} must have shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got {value.shape}")
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{key} must be a bool or real-number array, got dtype {value.dtype}")


def _optional_image(value: Any, key: str) -> None:
    if value is not None:
        _image_like(value, key)


def _pair(value: Any, key: str) -> None:
    try:
        number_pair(value, key, "a pair [x, y]")
    except TypeError as err:
        raise ValueError(str(err)[:300]) from None


def _number(value: Any, key: str) -> None:
    try:
        real_number(value, key)
    except TypeError as err:
        raise ValueError(str(err)[:300]) from None


def _points(value: Any, key: str) -> None:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"{key} must be a list of [[x0, y0], [x1, y1]] pairs, got {type(value).__name__}")
    if len(value) > MAX_POINTS:
        raise ValueError(f"{key} has {len(value)} pairs; at most {MAX_POINTS} are accepted")
    for k, pair in enumerate(value):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"{key}[{k}] must be a pair [[x0, y0], [x1, y1]], got {pair!r}"[:300])
        _pair(pair[0], f"{key}[{k}] handle")
        _pair(pair[1], f"{key}[{k}] target")


def _bool(value: Any, key: str) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{key} must be true or false, got {value!r}"[:300])


def _text(value: Any, key: str) -> None:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise ValueError(f"{key} must be a string of at most {MAX_TEXT} characters, got {type(value).__name__}")


#: Field name → check of its value, for the fields of the registered edit classes.
FIELD_CHECKS: dict[str, Callable[[Any, str], None]] = {
    "mask": _optional_image, "reference_region": _optional_image, "reference_mask": _image_like,
    "reference": _image_like, "offset": _pair, "scale": _number, "points": _points, "content": _bool,
    "reference_prompt": _text,
}


def check_edit_fields(cls: type, d: dict, where: str = "edit") -> None:
    """Raise ``ValueError`` unless ``d`` (without ``kind``) has the keys of edit class ``cls`` with values of the
    right types; geometry (sizes, points inside the image) is left to ``Edit.validate``."""
    own = {f.name: f for f in dataclasses.fields(cls)}
    for key in d:
        if key not in own:
            raise ValueError(f"{where} ({cls.kind}) has an unknown key {key!r}; expected keys from {sorted(own)}"[:400])
    for name, f in own.items():
        if name not in d:
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise ValueError(f"{where} ({cls.kind}) is missing the key {name!r}")
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if d[name] is None and required:
            raise ValueError(f"{where}.{name} is required, got null")
        check = FIELD_CHECKS.get(name)
        if check is not None:
            check(d[name], f"{where}.{name}")
