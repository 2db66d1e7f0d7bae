"""The registry of edit modes: edit kind → class and preset mode → parameter class.

A new mode is one module that defines an :class:`~.base.Edit` subclass (with ``kind`` = ``mode`` and its
``Params`` class) decorated with :func:`register`, imported from ``engine/edits/__init__.py``, plus one
descriptor in ``engine/ui_modes.py`` for the app, the CLI and the benchmark.
"""

from __future__ import annotations

from .base import Edit, ModeParams

#: Edit kind (``Edit.kind``, the ``"kind"`` of ``to_dict``) → class.
EDIT_TYPES: dict[str, type[Edit]] = {}
#: Preset mode (``Edit.mode``, a key of ``Preset.modes``) → parameter class.
MODE_PARAMS: dict[str, type[ModeParams]] = {}


def register(cls: type[Edit]) -> type[Edit]:
    """Class decorator: make an edit class known to ``edit_from_dict``, presets and the conformance tests."""
    if not isinstance(cls.kind, str) or not cls.kind:
        raise TypeError(f"{cls.__name__} must set the class attribute kind (a non-empty string)")
    if cls.kind in EDIT_TYPES and EDIT_TYPES[cls.kind] is not cls:
        raise ValueError(f"edit kind {cls.kind!r} is already registered by {EDIT_TYPES[cls.kind].__name__}")
    EDIT_TYPES[cls.kind] = cls
    MODE_PARAMS[cls.kind] = cls.Params  # a registered class runs as preset mode == its kind
    return cls


def edit_type_names() -> str:
    """The registered edit classes as users spell them, for error messages: 'dw.Move, dw.Drag, ... or dw.Paste'."""
    names = [f"dw.{cls.__name__}" for cls in EDIT_TYPES.values()]
    return " or ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " or " + names[-1]


def params_class(mode: str) -> type[ModeParams]:
    """The parameter class of preset mode ``mode`` (the base :class:`ModeParams` for an unknown mode)."""
    return MODE_PARAMS.get(mode, ModeParams)


def edit_from_dict(d: dict, where: str = "edit") -> Edit:
    """Inverse of ``Edit.to_dict`` (arrays already loaded); accepts every log version. Any malformed dict (unknown
    kind, unknown or missing key, a value of the wrong type) raises ``ValueError`` naming the field."""
    from .schema import check_edit_fields

    if not isinstance(d, dict):
        raise ValueError(f"{where} must be a dict with a 'kind', got {type(d).__name__}")
    d = dict(d)
    kind = d.pop("kind", None)
    if not isinstance(kind, str) or kind not in EDIT_TYPES:
        raise ValueError(f"edit kind must be one of {sorted(EDIT_TYPES)}, got {kind!r}"[:300])
    cls = EDIT_TYPES[kind]
    check_edit_fields(cls, d, where)
    try:
        return cls.from_dict(d)
    except (TypeError, KeyError, AttributeError) as err:  # a mode's own from_dict meeting a shape it did not expect
        raise ValueError(f"{where} ({kind}) could not be read: {type(err).__name__}: {err}"[:400]) from None
