"""Read an untrusted pickle (DragBench's ``meta_data.pkl``) without running anything it names.

:func:`load_plain_pickle` accepts only dicts, lists, tuples, strings, bytes, numbers, booleans, None and numpy
arrays (and numpy number scalars) of numeric or boolean dtype. Every class or function a pickle asks for is
looked up in a short allow-list of numpy's own array-rebuilding functions; anything else (``os.system``,
``builtins.eval``, a class of some package …) is refused *before* it is looked up, with a ``ValueError`` naming
the file, so a hostile file's payload never runs. Loaded data is checked again afterwards (no object arrays, no
other types, bounded size and depth).
"""

from __future__ import annotations

import io
import pickle
from pathlib import Path
from typing import Any

import numpy as np

#: Largest pickle file read (bytes): DragBench's are a few MB (a 512×512 float mask).
MAX_PICKLE_BYTES = 64 * 1024 * 1024
#: Deepest nesting of containers accepted.
MAX_DEPTH = 32


def _allowed_globals() -> dict[tuple[str, str], Any]:
    """(module, name) → the object: numpy's array and scalar rebuilders under their numpy 1 and 2 module names,
    and ``_codecs.encode`` (protocol-2 pickles store raw bytes through it; it only encodes a string)."""
    import _codecs

    try:
        from numpy._core import multiarray as ma, numeric as nu
    except ImportError:  # numpy 1.x
        from numpy.core import multiarray as ma, numeric as nu  # type: ignore[no-redef]
    out: dict[tuple[str, str], Any] = {("numpy", "ndarray"): np.ndarray, ("numpy", "dtype"): np.dtype,
                                       ("_codecs", "encode"): _codecs.encode}
    for mod in ("numpy.core.multiarray", "numpy._core.multiarray"):
        out[(mod, "_reconstruct")] = ma._reconstruct
        out[(mod, "scalar")] = ma.scalar
    if hasattr(nu, "_frombuffer"):
        for mod in ("numpy.core.numeric", "numpy._core.numeric"):
            out[(mod, "_frombuffer")] = nu._frombuffer
    return out


class _PlainUnpickler(pickle.Unpickler):
    """An unpickler whose ``find_class`` knows only :func:`_allowed_globals`."""

    def __init__(self, file: Any, label: str) -> None:
        super().__init__(file)
        self._label = label
        self._allowed = _allowed_globals()

    def find_class(self, module: str, name: str) -> Any:
        try:
            return self._allowed[(module, name)]
        except KeyError:
            raise ValueError(f"{self._label}: refused to unpickle {module}.{name} (only dicts, lists, tuples, "
                             f"strings, numbers and numpy arrays are accepted; the file was not executed)") from None

    def persistent_load(self, pid: Any) -> Any:
        raise ValueError(f"{self._label}: refused a persistent reference in the pickle (only plain data is accepted)")


def _check(value: Any, label: str, limit: int, depth: int = 0) -> None:
    """Raise ``ValueError`` unless ``value`` is plain data (see the module docstring) whose arrays hold at most
    ``limit`` bytes each (an array rebuilt from a file holds no more than the file's bytes)."""
    if depth > MAX_DEPTH:
        raise ValueError(f"{label}: the data is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, float, complex, str, bytes)):
        return
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise ValueError(f"{label}: refused a numpy array of dtype {value.dtype} (numbers or booleans only)")
        if value.nbytes > limit:
            raise ValueError(f"{label}: refused a numpy array of {value.nbytes} bytes, more than the file holds")
        return
    if isinstance(value, np.generic):
        if value.dtype.kind not in "biuf":
            raise ValueError(f"{label}: refused a numpy scalar of dtype {value.dtype}")
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check(v, label, limit, depth + 1)
        return
    if isinstance(value, dict):
        for k, v in value.items():
            _check(k, label, limit, depth + 1)
            _check(v, label, limit, depth + 1)
        return
    raise ValueError(f"{label}: refused a value of type {type(value).__name__} (plain data only)")


def load_plain_pickle(path: str | Path, max_bytes: int = MAX_PICKLE_BYTES) -> Any:
    """The plain data in the pickle file ``path`` (see the module docstring). Any refusal, a truncated or corrupt
    file, or a file over ``max_bytes`` is a ``ValueError`` naming the file; a missing one a ``FileNotFoundError``."""
    p = Path(path)
    label = str(p)
    size = p.stat().st_size  # FileNotFoundError names the file
    if size > max_bytes:
        raise ValueError(f"{label} is {size} bytes; at most {max_bytes} are read")
    data = p.read_bytes()
    try:
        value = _PlainUnpickler(io.BytesIO(data), label).load()
    except ValueError as err:
        if label in str(err):
            raise
        raise ValueError(f"{label}: not a readable pickle ({err})"[:400]) from None
    except (pickle.UnpicklingError, EOFError, TypeError, AttributeError, IndexError, KeyError, MemoryError,
            UnicodeDecodeError, OverflowError) as err:
        raise ValueError(f"{label}: not a readable pickle ({type(err).__name__}: {err})"[:400]) from None
    _check(value, label, len(data))
    return value
