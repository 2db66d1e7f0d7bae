"""The layers import only downwards: core (torch-free) < engine < bench < batch < widgets / cli; models never import the
benchmark. A static scan of every module's imports (relative and absolute)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "dragon_widgets"

#: layer → the sibling packages it must not import (``torch``/``diffusers`` for the torch-free core).
FORBIDDEN = {
    "core": {"engine", "widgets", "bench", "models", "inspect", "cli", "batch", "torch", "diffusers", "transformers"},
    "engine": {"widgets", "bench", "inspect", "cli", "batch"},
    "models": {"bench", "widgets", "inspect", "cli", "batch"},
    "bench": {"batch", "widgets", "cli"},
    "batch": {"widgets", "cli"},
}
#: Modules left as they are on purpose (none today).
EXEMPT: set[str] = set()


def imported(path: Path) -> set[str]:
    """Top-level dragon_widgets sub-packages (or third-party packages) that ``path`` imports."""
    rel = path.relative_to(PKG)
    parts = list(rel.with_suffix("").parts)
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            for a in node.names:
                name = a.name.split(".")
                out.add(name[1] if name[0] == "dragon_widgets" and len(name) > 1 else name[0])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = parts[: len(parts) - node.level]
                mod = base + (node.module.split(".") if node.module else [])
                if mod:
                    out.add(mod[0])
                else:  # "from .. import x": x are top-level sub-packages
                    out.update(a.name for a in node.names)
            elif node.module:
                name = node.module.split(".")
                if name[0] == "dragon_widgets":
                    out.add(name[1] if len(name) > 1 else node.names[0].name)
                else:
                    out.add(name[0])
    return out


def modules():
    return sorted(p for p in PKG.rglob("*.py")
                  if p.relative_to(PKG).parts[0] in FORBIDDEN and str(p.relative_to(PKG)) not in EXEMPT)


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PKG)))
def test_no_import_runs_upward(path):
    rel = str(path.relative_to(PKG))
    layer = path.relative_to(PKG).parts[0]
    bad = imported(path) & FORBIDDEN[layer]
    assert not bad, f"{rel} ({layer}) imports {sorted(bad)}"


def test_the_old_scene_modules_are_aliases_of_core():
    import dragon_widgets.bench.scenes as old_scenes
    import dragon_widgets.bench.world as old_world
    from dragon_widgets.core import scenes, world

    assert old_scenes is scenes and old_world is world


def test_the_scan_sees_relative_and_absolute_imports():
    assert "core" in imported(PKG / "engine" / "attention.py")
    assert "torch" in imported(PKG / "engine" / "sampler.py")
    assert "core" in imported(PKG / "models" / "train.py") and "bench" not in imported(PKG / "models" / "train.py")


def test_core_imports_without_torch():
    import subprocess
    import sys

    code = ("import sys; import dragon_widgets.core.images, dragon_widgets.core.geometry, dragon_widgets.core.warp, "
            "dragon_widgets.core.scenes, dragon_widgets.core.world, dragon_widgets.engine; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parent)
    assert r.returncode == 0, r.stderr[-2000:]
