"""Bounds on every number of a preset, checked when a preset comes from outside (an edit log), and the cap on the
working image size, checked before anything is allocated.

These are limits of sanity, not hyper-parameters: the named presets in :mod:`.presets` sit well inside them.
:func:`check_preset_dict` turns a JSON dict into the keyword arguments of ``Preset`` or raises ``ValueError`` naming
the key (``preset.resolution``, ``preset.modes.move.energy_scale``) and what was expected.
"""

from __future__ import annotations

import math
import re
from dataclasses import MISSING, dataclass, fields
from typing import Any, Callable

#: Largest ``preset.resolution`` (working images have an area of about resolution²; SDXL works at 1024).
MAX_RESOLUTION = 2048
#: A working image may exceed resolution² by this factor (side rounding, extreme aspect ratios) and no more.
MAX_AREA_FACTOR = 4


@dataclass(frozen=True)
class Limit:
    """What one value may be: ``kind`` int | float | bool | str | choice | ints | floats | device, a closed range
    [lo, hi] for numbers (and for the items of ints/floats), ``size`` (min, max) items for tuples."""

    kind: str
    lo: float = -math.inf
    hi: float = math.inf
    size: tuple[int, int] = (0, 0)
    choices: tuple = ()

    def describe(self) -> str:
        if self.kind == "choice":
            return f"one of {list(self.choices)}"
        if self.kind in ("int", "float"):
            return f"{'an integer' if self.kind == 'int' else 'a number'} in [{self.lo:g}, {self.hi:g}]"
        if self.kind in ("ints", "floats"):
            item = "integers" if self.kind == "ints" else "numbers"
            n = f"{self.size[0]}" if self.size[0] == self.size[1] else f"{self.size[0]} to {self.size[1]}"
            return f"a list of {n} {item} in [{self.lo:g}, {self.hi:g}]"
        if self.kind == "str":
            return f"a string of at most {int(self.hi)} characters"
        if self.kind == "device":
            return "null, 'cpu', 'cuda', 'cuda:N' or 'mps'"
        if self.kind == "names":
            return (f"a list of {self.size[0]} to {self.size[1]} module-name patterns (regular expressions of at most "
                    f"{int(self.hi)} characters from letters, digits and _.\\()|?+*[]{{}},^$-, at most "
                    f"{MAX_QUANTIFIERS} quantifiers, none on a group)")
        return "true or false"


def _int(lo, hi):
    return Limit("int", lo, hi)


def _num(lo, hi):
    return Limit("float", lo, hi)


STEP = 100_000  # step indices and windows: far beyond any schedule
#: Keys of edit logs written before the model-family seam (decoder blocks by index; Preset translates them).
LEGACY_PRESET_LIMITS: dict[str, "Limit"] = {
    "feature_blocks": Limit("ints", 0, 15, size=(1, 16)),
    "bank_blocks": Limit("ints", 0, 15, size=(1, 16)),
}
#: A module-name pattern from a log is a regular expression run against every module name: only these characters,
#: at most MAX_QUANTIFIERS quantifiers and none on a group (``(a+)+``), so no pattern can backtrack for long.
_LAYER_CHARS = re.compile(r"^[A-Za-z0-9_.\\()|?+*\[\]{},^$-]+$")
_GROUP_QUANTIFIED = re.compile(r"\)[*+?{]")
MAX_QUANTIFIERS = 4


def layer_pattern_ok(pattern: Any) -> bool:
    """Whether ``pattern`` is a safe module-name pattern (see ``_LAYER_CHARS``) that compiles."""
    if not isinstance(pattern, str) or not _LAYER_CHARS.match(pattern) or _GROUP_QUANTIFIED.search(pattern):
        return False
    if sum(pattern.count(q) for q in "*+?{") > MAX_QUANTIFIERS:
        return False
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
PRESET_LIMITS: dict[str, Limit] = {
    "name": Limit("str", hi=200),
    "resolution": _int(8, MAX_RESOLUTION),
    "multiple": _int(1, 512),
    "num_steps": _int(1, 1000),
    "inversion_refine": _int(0, 50),
    "inversion_tol": _num(0, 1),
    "inversion_accelerate": Limit("bool"),
    "schedule": Limit("choice", choices=("diffeditor", "dragondiffusion")),
    "guided_until": _int(0, STEP),
    "dense_until": _int(0, STEP),
    "time_travel_steps": Limit("ints", 0, 1000, size=(0, 1000)),
    "time_travel_rounds": _int(1, 100),
    "sde_window": Limit("ints", 0, STEP, size=(2, 2)),
    "ip_window": Limit("ints", 0, STEP, size=(2, 2)),
    "feature_layers": Limit("names", hi=200, size=(1, 16)),
    "feature_upscale": _int(1, 4),
    "bank_layers": Limit("names", hi=200, size=(1, 64)),
    "attract_beta": _num(0, 1e6),
    "drag_window": _int(0, 64),
    "preview_every": _int(1, STEP),
    "generate_guidance_scale": _num(-1e3, 1e3),
    "bank_dtype": Limit("choice", choices=(None, "float16", "bfloat16")),
    "bank_device": Limit("device"),
}
MODE_LIMITS: dict[str, Limit] = {
    "guidance_scale": _num(-1e3, 1e3),
    "energy_scale": _num(-1e7, 1e7),
    "grad_scale": _num(-1e4, 1e4),
    "sde_strength": _num(0, 1),
    "sde_strength_outside": _num(0, 1),
    "ip_scale": _num(0, 100),
    "bank_rule": Limit("choice", choices=("replace", "concat", "bgfg")),
    "bank_steps": Limit("ints", 0, 10 ** 6, size=(2, 2)),
    "layer_weights": Limit("floats", -1e4, 1e4, size=(1, 16)),
    "latent_copy": Limit("bool"),
    "start_reference": Limit("bool"),
    "anchor_steps": Limit("ints", 0, 10 ** 6, size=(2, 2)),
    "anchor_dilate": _int(0, 64),
}
#: Every mode's energy weights (``w_edit``, ``w_content``, ...).
WEIGHT_LIMIT = _num(-1e4, 1e4)
_DEVICE = re.compile(r"^(cpu|mps|cuda(:\d{1,3})?)$")


def mode_limit(name: str) -> Limit | None:
    return MODE_LIMITS.get(name) or (WEIGHT_LIMIT if name.startswith("w_") else None)


def _fallback(default: Any) -> Limit:
    """A generic bound for a field without its own entry (from its default's type)."""
    if isinstance(default, bool):
        return Limit("bool")
    if isinstance(default, int):
        return _int(-STEP, STEP)
    if isinstance(default, float):
        return _num(-1e6, 1e6)
    if isinstance(default, tuple):
        return Limit("floats", -1e6, 1e6, size=(0, 1000))
    return Limit("str", hi=200)


def check_value(value: Any, limit: Limit, key: str) -> Any:
    """``value`` checked against ``limit`` (lists become tuples), or ``ValueError`` naming ``key``."""
    def bad() -> ValueError:
        return ValueError(f"{key} must be {limit.describe()}, got {value!r}"[:400])

    kind = limit.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise bad()
        return value
    if kind == "choice":
        if not any(value == c and type(value) is type(c) for c in limit.choices):
            raise bad()
        return value
    if kind == "str":
        if not isinstance(value, str) or len(value) > limit.hi:
            raise bad()
        return value
    if kind == "device":
        if value is not None and not (isinstance(value, str) and _DEVICE.match(value)):
            raise bad()
        return value
    if kind in ("int", "float"):
        if not _number_ok(value, kind, limit):
            raise bad()
        return value
    if kind == "names":
        if (not isinstance(value, (list, tuple)) or not limit.size[0] <= len(value) <= limit.size[1]
                or not all(isinstance(v, str) and len(v) <= limit.hi and layer_pattern_ok(v) for v in value)):
            raise bad()
        return tuple(value)
    if not isinstance(value, (list, tuple)) or not limit.size[0] <= len(value) <= limit.size[1]:
        raise bad()
    item = "int" if kind == "ints" else "float"
    if not all(_number_ok(v, item, limit) for v in value):
        raise bad()
    return tuple(value)


def _number_ok(value: Any, kind: str, limit: Limit) -> bool:
    if isinstance(value, bool):
        return False
    if kind == "int" and not isinstance(value, int):
        return False
    if kind == "float" and not isinstance(value, (int, float)):
        return False
    return math.isfinite(value) and limit.lo <= value <= limit.hi


def _check_fields(d: Any, cls, limit_of: Callable[[str, Any], Limit], where: str) -> dict:
    if not isinstance(d, dict):
        raise ValueError(f"{where} must be an object (a dict), got {type(d).__name__}")
    own = {f.name: f for f in fields(cls)}
    out = {}
    for key, value in d.items():
        if key not in own:
            raise ValueError(f"{where} has an unknown key {key!r}; expected keys from {sorted(own)}")
        f = own[key]
        default = f.default if f.default is not MISSING else None
        out[key] = check_value(value, limit_of(key, default), f"{where}.{key}")
    missing = [n for n, f in own.items() if f.default is MISSING and f.default_factory is MISSING and n not in d]
    if missing:
        raise ValueError(f"{where} is missing the key {missing[0]!r}")
    return out


def check_preset_dict(d: Any, where: str = "preset") -> dict:
    """A JSON preset dict checked field by field: the keyword arguments of ``Preset`` (modes as checked dicts of
    their parameter classes' arguments). Raises ``ValueError`` naming the key."""
    from .edits import params_class
    from .presets import Preset

    modes = d.get("modes", {}) if isinstance(d, dict) else None
    plain = {k: v for k, v in d.items() if k != "modes" and k not in LEGACY_PRESET_LIMITS} if isinstance(d, dict) else d
    out = _check_fields(plain, Preset, lambda k, dflt: PRESET_LIMITS.get(k) or _fallback(dflt), where)
    for key, limit in LEGACY_PRESET_LIMITS.items():  # older logs: up_blocks indices, translated by Preset
        if isinstance(d, dict) and key in d:
            out[key] = check_value(d[key], limit, f"{where}.{key}")
    if not isinstance(modes, dict):
        raise ValueError(f"{where}.modes must be an object mapping mode names to parameters, got {modes!r}"[:300])
    checked = {}
    for name, params in modes.items():
        from .edits import MODE_PARAMS

        if name not in MODE_PARAMS:
            raise ValueError(f"{where}.modes has an unknown mode {name!r}; expected modes from {sorted(MODE_PARAMS)}")
        cls = params_class(name)
        legacy = {k: v for k, v in params.items() if k in cls.legacy} if isinstance(params, dict) else {}
        own = {k: v for k, v in params.items() if k not in legacy} if isinstance(params, dict) else params
        got = _check_fields(own, cls, lambda k, dflt: mode_limit(k) or _fallback(dflt), f"{where}.modes.{name}")
        for k, v in legacy.items():  # old union names (v1 logs), translated by the parameter class
            got[k] = check_value(v, WEIGHT_LIMIT, f"{where}.modes.{name}.{k}")
        checked[name] = got
    out["modes"] = checked
    check_work_area(out.get("resolution", MAX_RESOLUTION), out.get("multiple", 1), where)
    return out


def check_work_area(resolution: int, multiple: int, where: str = "preset") -> None:
    """Refuse a resolution/multiple pair whose working images could not be allocated sensibly."""
    if not isinstance(resolution, int) or isinstance(resolution, bool) or not 8 <= resolution <= MAX_RESOLUTION:
        raise ValueError(f"{where}.resolution must be an integer in [8, {MAX_RESOLUTION}], got {resolution!r}")
    if not isinstance(multiple, int) or isinstance(multiple, bool) or not 1 <= multiple <= resolution:
        raise ValueError(f"{where}.multiple must be an integer in [1, resolution={resolution}], got {multiple!r}")


def check_work_size(work: tuple[int, int], size: tuple[int, int], resolution: int, name: str = "image") -> None:
    """Refuse a working size far above resolution² (an extreme aspect ratio) before anything is allocated."""
    w, h = work
    if w * h > MAX_AREA_FACTOR * resolution ** 2:
        raise ValueError(f"{name} is {size[0]}×{size[1]} px: its working size would be {w}×{h}, more than "
                         f"{MAX_AREA_FACTOR}× the preset's resolution² ({resolution}²); crop it to a less extreme "
                         f"aspect ratio")
