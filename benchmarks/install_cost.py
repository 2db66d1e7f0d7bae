"""Clone size, package size and install time: what a user pays before the first edit.

    python benchmarks/install_cost.py                 # clone, the wheel and sdist, pip install --no-deps <clone>
    python benchmarks/install_cost.py --quickstart    # ... and the README quick start's install, cold then warm
    python benchmarks/install_cost.py --repo https://github.com/dragon-widgets/dragon_widgets --branch main

Clones the repository with ``git clone --no-local --single-branch`` (a real clone, packed as a server sends it,
also for a local path; ``--all-branches`` clones every branch) and measures the ``.git`` folder, the checked-out
files and the largest files in the history. Then, always with no ``node``/``npm`` on the ``PATH`` (only a fresh
virtual environment's ``bin``), as on Colab or a fresh machine:

* builds the wheel and the sdist from the clone with hatchling (the ``test`` extra has it) and checks that both hold
  the committed widget bundle (``dragon_widgets/static/*.js``);
* ``pip install --no-deps <clone>`` into a fresh venv (pip's build isolation fetches the build backend) and checks
  that the installed package holds the bundle;
* with ``--quickstart``, the README quick start's install command, ``pip install torch==2.13.0 -e ".[lab]"`` run in
  the clone, into a fresh venv with an empty pip cache (cold), then again into another fresh venv with whatever the
  first run left in that cache (warm, where the index's responses can be cached). pip's log says where every file
  came from (downloaded from an index, a local file or wheel folder, pip's cache), which the table reports, as the
  time depends on it.

Prints Markdown tables for benchmarks/RESULTS.md, with the machine and its load averages before and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = ("canvas.js", "compare.js", "panels.js")  # dragon_widgets/static/, as pyproject's ensured-targets
QUICKSTART = ['torch==2.13.0', '-e', '.[lab]']  # README.md's quick start, run from the clone's root

_SIZE_UNITS = {"bytes": 1e-6, "byte": 1e-6, "kB": 1e-3, "KB": 1e-3, "MB": 1.0, "GB": 1e3}


def folder_bytes(path: Path, skip: str | None = None) -> int:
    """Bytes of the regular files under ``path`` (not following links), leaving out the top-level ``skip``."""
    total = 0
    for dirpath, dirnames, filenames in os.walk(path):
        if skip and Path(dirpath) == path and skip in dirnames:
            dirnames.remove(skip)
        for f in filenames:
            p = Path(dirpath, f)
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def largest_in_history(repo: Path, n: int) -> list[tuple[int, str]]:
    """The ``n`` largest file versions anywhere in the history: (bytes, path)."""
    objects = subprocess.run(["git", "rev-list", "--objects", "--all"], cwd=repo, capture_output=True, text=True,
                             check=True).stdout
    paths = {}
    for line in objects.splitlines():
        sha, _, name = line.partition(" ")
        if name:
            paths[sha] = name
    batch = subprocess.run(["git", "cat-file", "--batch-check=%(objecttype) %(objectname) %(objectsize)"], cwd=repo,
                           input="\n".join(paths), capture_output=True, text=True, check=True).stdout
    sizes = []
    for line in batch.splitlines():
        kind, sha, size = line.split()
        if kind == "blob":
            sizes.append((int(size), paths[sha]))
    return sorted(sizes, reverse=True)[:n]


@dataclass
class PipSources:
    """Where the files of one ``pip install`` came from, read from its ``--log``."""

    downloaded: dict[str, float] = field(default_factory=dict)  # file name -> MB, from an index over the network
    cached: dict[str, float] = field(default_factory=dict)  # file name -> MB, from pip's cache
    local: set[str] = field(default_factory=set)  # file paths, from a local folder or file:// index

    def describe(self) -> str:
        parts = [f"{len(self.downloaded)} files downloaded ({sum(self.downloaded.values()):.0f} MB)",
                 f"{len(self.cached)} from pip's cache ({sum(self.cached.values()):.0f} MB)",
                 f"{len(self.local)} from local files"]
        return ", ".join(parts)


def pip_sources(log: str) -> PipSources:
    """Parse pip's log: ``Downloading NAME (SIZE)``, ``Using cached NAME (SIZE)``, ``Processing /PATH``.

    Build-isolation installs (indented in the log) count too; a file named twice counts once.
    """
    out = PipSources()
    sized = re.compile(r"\b(Downloading|Using cached) (\S+)(?: \(([\d.]+) (bytes?|kB|KB|MB|GB)\))?")
    for line in log.splitlines():
        m = sized.search(line)
        if m:
            name = m.group(2).rsplit("/", 1)[-1]
            mb = float(m.group(3)) * _SIZE_UNITS[m.group(4)] if m.group(3) else 0.0
            (out.downloaded if m.group(1) == "Downloading" else out.cached)[name] = mb
            continue
        m = re.search(r"\bProcessing (/\S+\.(?:whl|tar\.gz|zip))", line)
        if m:
            out.local.add(m.group(1))
    return out


def fresh_venv(where: Path, pip_cache: Path | None = None) -> tuple[Path, dict[str, str]]:
    """A new venv and an environment whose PATH holds only its bin folder (no node, npm or git)."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PIP_CACHE_DIR")}
    env["PATH"] = str(where / "bin")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    if pip_cache is not None:
        env["PIP_CACHE_DIR"] = str(pip_cache)
    check_node_free(env["PATH"])
    return where / "bin" / "python", env


def check_node_free(path: str) -> None:
    """Exit when ``node`` or ``npm`` can be found on ``path``: the install would not show what it does without."""
    for tool in ("node", "npm"):
        if shutil.which(tool, path=path):
            sys.exit(f"{tool} is on the fresh environment's PATH ({path}): the install would not be Node-free")


def timed_install(python: Path, env: dict[str, str], args: list[str], cwd: Path | None = None,
                  log: Path | None = None) -> float:
    """Seconds of ``python -m pip install -q ARGS`` (wall clock); exits with pip's output when it fails."""
    t0 = time.perf_counter()
    out = subprocess.run([str(python), "-m", "pip", "install", "-q", *(["--log", str(log)] if log else []), *args],
                         env=env, cwd=cwd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"pip install {' '.join(args)} failed:\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
    return seconds


def installed_bundle(python: Path) -> list[str]:
    """The widget bundle's files in a venv's installed (non-editable) ``dragon_widgets`` package."""
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    static = Path(purelib) / "dragon_widgets" / "static"
    return sorted(p.name for p in static.glob("*.js")) if static.is_dir() else []


def archive_bundle(path: Path) -> list[str]:
    """The widget bundle's files inside a built wheel (``.whl``) or sdist (``.tar.gz``)."""
    if path.suffix == ".whl":
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
    else:
        with tarfile.open(path) as t:
            names = t.getnames()
    return sorted(Path(n).name for n in names if re.search(r"(^|/)dragon_widgets/static/[^/]+\.js$", n))


def build_dists(clone: Path, out: Path, env: dict[str, str]) -> tuple[Path, Path]:
    """Build the wheel and the sdist of ``clone`` into ``out`` with hatchling, without Node on the PATH."""
    try:
        import hatch_jupyter_builder  # noqa: F401  (the build hook pyproject names)
        import hatchling  # noqa: F401
    except ImportError as e:
        sys.exit(f"building the wheel and sdist needs hatchling and hatch-jupyter-builder in this Python "
                 f"(pip install -e '.[test]'): {e}")
    res = subprocess.run([sys.executable, "-m", "hatchling", "build", "-d", str(out)], cwd=clone, env=env,
                         capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"hatchling build failed:\n{res.stdout[-2000:]}{res.stderr[-3000:]}")
    wheels, sdists = sorted(out.glob("*.whl")), sorted(out.glob("*.tar.gz"))
    if len(wheels) != 1 or len(sdists) != 1:
        sys.exit(f"hatchling build made {[p.name for p in out.iterdir()]}, expected one wheel and one sdist")
    return wheels[0], sdists[0]


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", default=str(ROOT), help="path or URL to clone (default: this repository)")
    p.add_argument("--branch", default=None, help="branch to clone (default: the repository's HEAD)")
    p.add_argument("--all-branches", action="store_true",
                   help="clone every branch, as a plain `git clone` does (default: only the one checked out)")
    p.add_argument("--quickstart", action="store_true",
                   help="also time the README quick start's install, `pip install torch==2.13.0 -e \".[lab]\"`, "
                        "with an empty pip cache and then with the cache it filled")
    p.add_argument("--top", type=int, default=20,
                   help="how many of the largest file versions in the history to list (grouped by path)")
    args = p.parse_args(argv)

    load_before = load()
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory(prefix="dw-install-") as tmp:
        tmp = Path(tmp)
        clone = tmp / "clone"
        cmd = ["git", "clone", "-q", "--no-local", *([] if args.all_branches else ["--single-branch"]),
               *(["--branch", args.branch] if args.branch else []), args.repo, str(clone)]
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True)
        clone_s = time.perf_counter() - t0
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True,
                              check=True).stdout.strip()
        commits = subprocess.run(["git", "rev-list", "--count", "HEAD"], cwd=clone, capture_output=True, text=True,
                                 check=True).stdout.strip()
        git_mb = folder_bytes(clone / ".git") / 1e6
        tree_mb = folder_bytes(clone, skip=".git") / 1e6
        top = largest_in_history(clone, args.top)
        how = "every branch" if args.all_branches else "one branch"
        rows += [(f"`git clone --no-local` ({how}, {commits} commits)", f"{clone_s:.0f} s"),
                 ("`.git` (the whole history)", f"{git_mb:.0f} MB"),
                 ("checked-out files", f"{tree_mb:.1f} MB")]

        python, env = fresh_venv(tmp / "venv-package")
        wheel, sdist = build_dists(clone, tmp / "dist", env)
        for kind, dist in (("wheel", wheel), ("sdist", sdist)):
            bundle = archive_bundle(dist)
            if tuple(bundle) != BUNDLE:
                sys.exit(f"the {kind} {dist.name} holds {bundle} of the widget bundle, expected {list(BUNDLE)}")
            rows.append((f"{kind} `{dist.name}` (built without Node.js; holds the widget bundle)",
                         f"{dist.stat().st_size / 1e6:.1f} MB"))

        package_s = timed_install(python, env, ["--no-deps", str(clone)], log=tmp / "pip-package.log")
        if tuple(installed_bundle(python)) != BUNDLE:
            sys.exit(f"`pip install --no-deps <clone>` installed {installed_bundle(python)} of the widget bundle")
        rows.append(("`pip install --no-deps <clone>`, fresh venv, no Node.js (the bundle is installed)",
                     f"{package_s:.0f} s"))

        if args.quickstart:
            cache = tmp / "pip-cache"
            for first in (True, False):
                cache_mb = folder_bytes(cache) / 1e6 if cache.is_dir() else 0.0
                state = "empty pip cache" if cache_mb == 0 else f"pip cache holding {cache_mb:.0f} MB"
                venv = tmp / f"venv-quickstart-{len(rows)}"
                python, env = fresh_venv(venv, pip_cache=cache)
                log = tmp / f"pip-quickstart-{len(rows)}.log"
                seconds = timed_install(python, env, QUICKSTART, cwd=clone, log=log)
                sources = pip_sources(log.read_text(errors="replace")).describe()
                rows.append((f"quick start `pip install {' '.join(QUICKSTART[:2])} \"{QUICKSTART[2]}\"`, fresh "
                             f"venv, no Node.js, {state}: {sources}", f"{seconds:.0f} s"))
                if first:
                    rows.append(("the quick start's installed environment", f"{folder_bytes(venv) / 1e6:.0f} MB"))

    print(f"Clone of {args.repo} at {head}; {platform.machine()} with {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}; load averages (1 / 5 / 15 min) {load_before} before, {load()} after.\n")
    print("| measure | value |")
    print("|---|---|")
    for what, value in rows:
        print(f"| {what} | {value} |")
    print("\nLargest files in the history: " + ", ".join(
        f"`{name}` ({count} version{'s' if count > 1 else ''}, {total / 1e6:.0f} MB)"
        for name, count, total in by_path(top)))


def by_path(files: list[tuple[int, str]]) -> list[tuple[str, int, int]]:
    """(path, how many versions, their bytes) of ``(bytes, path)`` file versions, largest total first."""
    totals: dict[str, list[int]] = {}
    for size, name in files:
        totals.setdefault(name, []).append(size)
    return sorted(((n, len(v), sum(v)) for n, v in totals.items()), key=lambda t: -t[2])


if __name__ == "__main__":
    main()
