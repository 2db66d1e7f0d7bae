"""The layers import only downwards: core (torch-free) < engine < inspect < bench < batch < widgets / cli; models
never import the benchmark; no two modules import each other (directly or round a longer circle); and ``inspect``
works on plain data (traces, feature arrays) without torch. A static scan of every module's imports (relative and
absolute, at module level and inside functions), plus a run without torch."""

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
    "inspect": {"widgets", "bench", "models", "cli", "batch"},
    "bench": {"batch", "widgets", "cli"},
    "batch": {"widgets", "cli"},
}
#: layer → what it may import only inside the functions that need it (not when the module is imported): the
#: inspection functions work on plain data, and only feature extraction and inversion checks need the model.
FORBIDDEN_AT_IMPORT = {
    "inspect": {"engine", "torch", "diffusers", "transformers"},
}
#: Modules left as they are on purpose (none today).
EXEMPT: set[str] = set()


def _statements(tree: ast.Module, top_level: bool):
    """Every node of ``tree``, or only the statements that run when the module is imported (not function or class
    bodies' nested functions)."""
    if not top_level:
        yield from ast.walk(tree)
        return
    todo = list(tree.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            continue
        yield node
        todo.extend(ast.iter_child_nodes(node))


def imported(path: Path, top_level: bool = False) -> set[str]:
    """Top-level dragon_widgets sub-packages (or third-party packages) that ``path`` imports (``top_level``: only
    when it is imported, not inside its functions)."""
    rel = path.relative_to(PKG)
    parts = list(rel.with_suffix("").parts)
    out = set()
    for node in _statements(ast.parse(path.read_text()), top_level):
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
    lazy = imported(path, top_level=True) & FORBIDDEN_AT_IMPORT.get(layer, set())
    assert not lazy, f"{rel} ({layer}) imports {sorted(lazy)} when it is imported; do it inside the function"


def module_graph() -> dict[str, set[str]]:
    """dragon_widgets module → the dragon_widgets modules it imports (anywhere in it; ``from pkg import mod`` counts
    as importing ``pkg.mod``)."""
    mods = {}
    for p in PKG.rglob("*.py"):
        parts = list(p.relative_to(PKG.parent).with_suffix("").parts)
        mods[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    graph = {}
    for name, p in mods.items():
        pkg = name.split(".") if p.name == "__init__.py" else name.split(".")[:-1]
        out = set()
        for node in ast.walk(ast.parse(p.read_text())):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names if a.name.split(".")[0] == "dragon_widgets"]
            elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("dragon_widgets")):
                base = ".".join(pkg[: len(pkg) - node.level + 1] + (node.module.split(".") if node.module else [])) \
                    if node.level else node.module
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in mods else base for a in node.names]
            else:
                continue
            for target in targets:
                while target and target not in mods:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    out.add(target)
        graph[name] = out
    return graph


def import_circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (each one an import circle)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    circles = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                circles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return circles


def test_no_two_modules_import_each_other():
    assert import_circles(module_graph()) == []


def test_the_circle_check_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert import_circles(graph) == [["a", "b", "c"]]
    g = module_graph()
    assert "dragon_widgets.engine.log" in g["dragon_widgets.engine.editor"]  # function-level imports count
    assert "dragon_widgets.models.assemble" in g["dragon_widgets.models.build"]


def test_the_old_scene_modules_are_aliases_of_core():
    import dragon_widgets.bench.scenes as old_scenes
    import dragon_widgets.bench.world as old_world
    from dragon_widgets.core import scenes, world

    assert old_scenes is scenes and old_world is world


def test_the_scan_sees_relative_and_absolute_imports():
    assert "core" in imported(PKG / "engine" / "attention.py")
    assert "torch" in imported(PKG / "engine" / "sampler.py")
    assert "core" in imported(PKG / "models" / "train.py") and "bench" not in imported(PKG / "models" / "train.py")


def test_inspect_works_on_plain_data_without_torch():
    """A synthetic trace (the core's plain record classes) through the inspection functions and figures, and
    correspondences on numpy feature maps: torch is never imported."""
    import subprocess
    import sys

    code = """
import sys
sys.path.insert(0, "tests/inspect")
import matplotlib
matplotlib.use("Agg")
import numpy as np
import dragon_widgets.inspect as di
from inspect_synthetic import make_trace, with_applied

for name in di.__all__:
    getattr(di, name)  # every public name resolves (FeatureExtractor's module imports torch only when used)
trace = make_trace()
di.gradient_map(trace.steps[0], "edit"); di.term_region(trace, "content"); di.energy_series(trace)
di.trace_features(trace); di.handle_tracks(trace); di.bank_share_series(trace, trace.bank_layers[0], trace.masks["edit"])
rng = np.random.default_rng(0)
a = rng.standard_normal((8, 16, 16)).astype(np.float32)
di.correspond(a, np.roll(a, 2, axis=2), (10, 10), (64, 64))
for fig in (di.plot_overview(trace), di.plot_overview(with_applied(trace), 1), di.plot_step(trace, 3),
            di.plot_gradients(trace, 0), di.plot_energies(trace)):
    assert fig.axes
assert "torch" not in sys.modules, "torch was imported"
"""
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parent)
    assert r.returncode == 0, r.stderr[-3000:]


def test_core_imports_without_torch():
    import subprocess
    import sys

    code = ("import sys; import dragon_widgets.core.images, dragon_widgets.core.geometry, dragon_widgets.core.warp, "
            "dragon_widgets.core.scenes, dragon_widgets.core.world, dragon_widgets.core.masks, dragon_widgets.core.psnr, "
            "dragon_widgets.core.errors, dragon_widgets.core.trace, dragon_widgets.engine; import dragon_widgets as dw; "
            "dw.EditTrace, dw.StepRecord; "
            "assert 'torch' not in sys.modules, 'torch was imported'")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PKG.parent)
    assert r.returncode == 0, r.stderr[-2000:]
