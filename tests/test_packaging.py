"""The built front end travels with the sources, so an install needs no Node.js.

``dragon_widgets/static/*.js`` (bundled from ``src_js/`` by esbuild) is committed. hatch-jupyter-builder's
``skip-if-exists`` makes every standard build (a clone, ``pip install "dragon_widgets @ git+…"``, an sdist) use it
as it is, and ``optional-editable-build`` lets ``pip install -e .`` keep it when npm is missing. These tests build
from a copy of exactly the tracked files, with no ``node``/``npm`` on the ``PATH``, and check that the bundle is in
the sdist and the wheel, that a fresh environment installs the sdist, and that the committed bundle is what the
committed sources build to.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from dragon_widgets.widgets import _frontend

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = sorted(p.stem for p in (ROOT / "src_js").glob("*.js") if not p.name.startswith("_"))
BUILD = "import sys, hatchling.build as b; out = sys.argv[1]; print(b.build_sdist(out)); print(b.build_wheel(out))"


def _git(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, timeout=60, **kw)


def _tracked_copy(dest: Path) -> Path:
    """A copy of the files git tracks (what a clone holds), as they are in the working tree."""
    out = _git("ls-files", "-z")
    if out.returncode != 0:
        pytest.fail(f"these tests need the git checkout of the sources: {out.stderr.decode()[-500:]}")
    for name in out.stdout.decode().split("\0"):
        src = ROOT / name
        if name and src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)
    return dest


def _no_node_env(tmp_path: Path) -> dict[str, str]:
    """The environment with an empty ``PATH`` (no node, npm or yarn) and no PYTHONPATH pointing at the checkout."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PIP_REQUIRE_VIRTUALENV")}
    env["PATH"] = str(empty)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def _build(src: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    """The PEP 517 hooks pip calls (hatchling, with the jupyter-builder hook), run in ``src``."""
    return subprocess.run([sys.executable, "-c", BUILD, str(out)], cwd=src, env=env, capture_output=True,
                          text=True, timeout=600)


def _esbuild(tree: Path) -> Path:
    """Bundle ``tree/src_js`` with the repository's pinned esbuild, as ``npm run build`` does; the output folder."""
    if not (ROOT / "node_modules" / "esbuild").is_dir() or not shutil.which("node"):
        pytest.fail("checking the bundle needs Node.js and the pinned esbuild: run `npm ci` (scripts/test.sh does)")
    (tree / "node_modules").symlink_to(ROOT / "node_modules", target_is_directory=True)
    out = subprocess.run(["node", str(tree / "src_js" / "_build.mjs")], cwd=tree, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-3000:]
    return tree / "dragon_widgets" / "static"


def test_every_src_js_entry_is_built_and_listed_in_the_build_config():
    assert "canvas" in ENTRIES and "compare" in ENTRIES and "panels" in ENTRIES
    missing = [e for e in ENTRIES if not (_frontend.STATIC / f"{e}.js").is_file()]
    assert not missing, f"not built: {missing} (npm run build)"
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        from pip._vendor import tomli as tomllib

    hook = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["hooks"]["jupyter-builder"]
    bundles = sorted(f"dragon_widgets/static/{e}.js" for e in ENTRIES)
    assert sorted(hook["skip-if-exists"]) == bundles and sorted(hook["ensured-targets"]) == bundles
    assert hook["optional-editable-build"] == "true"


def test_the_bundle_is_tracked_by_git():
    tracked = _git("ls-files", "dragon_widgets/static", text=True).stdout.split()
    assert sorted(tracked) == sorted(f"dragon_widgets/static/{e}.js" for e in ENTRIES), tracked
    ignored = _git("check-ignore", "-q", "dragon_widgets/static/canvas.js")
    assert ignored.returncode == 1, "dragon_widgets/static/ must not be git-ignored"


def test_placeholder_when_the_bundle_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(_frontend, "STATIC", tmp_path)
    esm = _frontend.esm("canvas")
    assert isinstance(esm, str) and "front end (canvas) is not built" in esm and "export default" in esm


def test_the_bundle_in_the_checkout_is_built_from_its_sources(tmp_path):
    """Edit src_js/ without `npm run build` and this fails: the widgets would run the old bundle."""
    tree = tmp_path / "tree"
    tree.mkdir()
    shutil.copytree(ROOT / "src_js", tree / "src_js")
    shutil.copy2(ROOT / "package.json", tree / "package.json")
    built = _esbuild(tree)
    stale = [e for e in ENTRIES if (built / f"{e}.js").read_bytes() != (_frontend.STATIC / f"{e}.js").read_bytes()]
    assert not stale, f"dragon_widgets/static/ is stale for {stale}: run `npm run build`"


def test_the_committed_bundle_is_built_from_the_committed_sources(tmp_path):
    """A commit that changes src_js/ without the rebuilt bundle fails here (a clone would install the old one)."""
    tree = tmp_path / "head"
    tree.mkdir()
    archive = _git("archive", "--format=tar", "HEAD", "src_js", "package.json", "dragon_widgets/static")
    if archive.returncode != 0:
        pytest.fail(f"git archive HEAD failed: {archive.stderr.decode()[-500:]}")
    (tmp_path / "head.tar").write_bytes(archive.stdout)
    with tarfile.open(tmp_path / "head.tar") as tar:
        tar.extractall(tree, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    committed = {e: (tree / "dragon_widgets" / "static" / f"{e}.js").read_bytes() for e in ENTRIES}
    built = _esbuild(tree)
    stale = [e for e in ENTRIES if (built / f"{e}.js").read_bytes() != committed[e]]
    assert not stale, f"the committed dragon_widgets/static/ does not match the committed src_js/ for {stale}: " \
                      "run `npm run build` and commit the bundle with the sources"


def test_a_clone_builds_sdist_and_wheel_with_the_bundle_and_without_node(tmp_path):
    clean = _tracked_copy(tmp_path / "clone")
    out = _build(clean, tmp_path / "dist", _no_node_env(tmp_path))
    assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-3000:]
    (sdist,) = (tmp_path / "dist").glob("dragon_widgets-*.tar.gz")
    (wheel,) = (tmp_path / "dist").glob("dragon_widgets-*.whl")
    wheel_names = zipfile.ZipFile(wheel).namelist()
    with tarfile.open(sdist) as tar:
        sdist_names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    for entry in ENTRIES:
        name = f"dragon_widgets/static/{entry}.js"
        assert name in wheel_names and name in sdist_names, entry
        assert zipfile.ZipFile(wheel).read(name) == (ROOT / name).read_bytes()
    assert not any(n.startswith(("src_js/", "tests/", "node_modules/")) for n in wheel_names)
    assert "src_js/canvas.js" in sdist_names and not any(n.startswith("node_modules/") for n in sdist_names)


def test_without_the_bundle_the_build_needs_npm_and_says_so(tmp_path):
    """The control: the same clone minus the bundle cannot build without npm, so the test above is not vacuous."""
    clean = _tracked_copy(tmp_path / "clone")
    shutil.rmtree(clean / "dragon_widgets" / "static")
    out = _build(clean, tmp_path / "dist", _no_node_env(tmp_path))
    assert out.returncode != 0
    assert "Could not find cmd (npm)" in out.stderr, out.stderr[-3000:]


@pytest.mark.slow
def test_a_fresh_environment_installs_the_sdist_and_an_editable_clone_without_node(tmp_path):
    """pip in a new venv, no node/npm on the PATH: from the sdist, then editable from a clone. The venv borrows
    the test environment's packages (the dependencies and the build backend) through a .pth file, and nothing
    is downloaded (--no-index, --no-build-isolation)."""
    env = _no_node_env(tmp_path)
    clean = _tracked_copy(tmp_path / "clone")
    built = _build(clean, tmp_path / "dist", env)
    assert built.returncode == 0, built.stderr[-3000:]
    (sdist,) = (tmp_path / "dist").glob("dragon_widgets-*.tar.gz")
    check = ("import pathlib, sys; from dragon_widgets.widgets import _frontend as f; "
             "paths = [f.esm(e) for e in sys.argv[1:]]; "
             "assert all(isinstance(p, pathlib.Path) and p.is_file() for p in paths), paths; print(paths[0])")
    for how, target in (("sdist", [str(sdist)]), ("editable", ["-e", str(clean)])):
        venv = tmp_path / f"venv-{how}"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=300)
        python = venv / "bin" / "python"
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, env=env, check=True).stdout.strip()
        Path(site, "zz_test_env.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        out = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
                              "--no-build-isolation", *target], capture_output=True, text=True, env=env, timeout=600)
        assert out.returncode == 0, f"{how}: {out.stdout[-2000:]}{out.stderr[-3000:]}"
        out = subprocess.run([str(python), "-c", check, *ENTRIES], capture_output=True, text=True, env=env,
                             cwd=tmp_path, timeout=300)
        assert out.returncode == 0, f"{how}: {out.stderr[-3000:]}"
        where = Path(out.stdout.strip())
        assert where.is_relative_to(venv if how == "sdist" else clean), (how, where)
