"""Strict checks of the engine's scalar arguments: real numbers (never a string that happens to iterate or parse),
pairs of them, and seeds. Wrong types raise ``TypeError``, wrong values ``ValueError``; both name the argument."""

from __future__ import annotations

import math
import numbers
import secrets

import numpy as np
import torch

#: Seeds are non-negative and below this (torch generators take 64 bits; 63 keep them valid everywhere).
SEED_LIMIT = 2 ** 63


def _is_real(value) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return False
    if isinstance(value, numbers.Real):
        return True
    if isinstance(value, np.ndarray):  # a 0-d array of a real dtype
        return value.ndim == 0 and value.dtype.kind in "iuf"
    if isinstance(value, torch.Tensor):
        return value.ndim == 0 and value.dtype != torch.bool and not value.dtype.is_complex
    return False


def real_number(value, name: str) -> float:
    """``value`` as a finite float; strings, bools and other types are refused (``"3"`` is not a number here)."""
    if not _is_real(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    out = float(value)
    if not math.isfinite(out):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return out


def number_pair(value, name: str, what: str = "an (x, y) pair") -> tuple[float, float]:
    """A pair of finite numbers from a tuple, list or 2-element array; ``"34"`` is not the pair (3, 4)."""
    is_seq = isinstance(value, (tuple, list)) or (getattr(value, "ndim", None) == 1 and hasattr(value, "__len__"))
    if not is_seq or len(value) != 2 or not all(_is_real(v) for v in value):
        raise TypeError(f"{name} must be {what} of numbers, got {value!r}")
    a, b = (float(v) for v in value)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"{name} must be finite, got {value!r}")
    return a, b


def check_seed(seed, name: str = "seed") -> int:
    """A seed as an int in ``0 ≤ seed < 2**63``; ``None`` draws a fresh random one (the result records it)."""
    if seed is None:
        return secrets.randbelow(SEED_LIMIT)
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"{name} must be an int (0 ≤ {name} < 2**63) or None for a random one, got {seed!r}")
    seed = int(seed)
    if not 0 <= seed < SEED_LIMIT:
        raise ValueError(f"{name} must satisfy 0 ≤ {name} < 2**63, got {seed}")
    return seed


def check_text(value, name: str) -> str:
    """A prompt-like argument: a ``str``."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {type(value).__name__} {value!r}")
    return value
