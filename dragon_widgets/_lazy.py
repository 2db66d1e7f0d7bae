"""Lazy public names for a package ``__init__`` (PEP 562): nothing heavy is imported until first use."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``package`` whose public ``names`` live in the given modules.

    A module given as ``"x"`` is the submodule ``package.x``; a dotted absolute name is used as is.
    """

    def __getattr__(name: str) -> Any:
        if name in names:
            mod = names[name]
            return getattr(importlib.import_module(mod if "." in mod else f"{package}.{mod}"), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        import sys

        return sorted(set(vars(sys.modules[package])) | set(names))

    return __getattr__, __dir__
