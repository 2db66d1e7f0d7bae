"""Clone size and install time: what a user pays before the first edit.

    python benchmarks/install_cost.py                      # clone this repository, install the package from it
    python benchmarks/install_cost.py --deps               # ... and once more with all its dependencies
    python benchmarks/install_cost.py --repo https://github.com/dragon-widgets/dragon_widgets --branch main

Clones the repository with ``git clone --no-local --single-branch`` (a real clone, packed as a server sends it,
also for a local path; ``--all-branches`` clones every branch), measures the ``.git`` folder, the checked-out files and the largest files in the history, then installs the
clone into a fresh virtual environment with no ``node``/``npm`` on the ``PATH``, as pip would on Colab:
``pip install --no-deps <clone>`` (pip's build isolation fetches the build backend), and with ``--deps`` a full
``pip install torch==2.13.0 <clone>`` into another fresh environment (from pip's cache or the index: say which).
Prints a Markdown table for benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


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


def fresh_venv(where: Path) -> tuple[Path, dict[str, str]]:
    """A new venv and an environment whose PATH holds only its bin folder (no node, npm or git)."""
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = str(where / "bin")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return where / "bin" / "python", env


def timed_install(python: Path, env: dict[str, str], args: list[str]) -> float:
    t0 = time.perf_counter()
    out = subprocess.run([str(python), "-m", "pip", "install", "-q", *args], env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if out.returncode != 0:
        sys.exit(f"pip install {' '.join(args)} failed:\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
    return seconds


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repo", default=str(ROOT), help="path or URL to clone (default: this repository)")
    p.add_argument("--branch", default=None, help="branch to clone (default: the repository's HEAD)")
    p.add_argument("--all-branches", action="store_true",
                   help="clone every branch, as a plain `git clone` does (default: only the one checked out)")
    p.add_argument("--deps", action="store_true", help="also time a full install with every dependency")
    p.add_argument("--torch", default="torch==2.13.0", help="the torch requirement of the full install")
    p.add_argument("--top", type=int, default=5, help="how many of the largest files in the history to list")
    args = p.parse_args(argv)

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

        python, env = fresh_venv(tmp / "venv-package")
        package_s = timed_install(python, env, ["--no-deps", str(clone)])
        full_s = None
        if args.deps:
            python, env = fresh_venv(tmp / "venv-full")
            full_s = timed_install(python, env, [args.torch, str(clone)])

    print(f"Clone of {args.repo} at {head} ({commits} commits):\n")
    print("| measure | value |")
    print("|---|---|")
    how = "every branch" if args.all_branches else "one branch"
    print(f"| `git clone --no-local` ({how}) | {clone_s:.1f} s |")
    print(f"| `.git` (the whole history) | {git_mb:.1f} MB |")
    print(f"| checked-out files | {tree_mb:.1f} MB |")
    print(f"| `pip install --no-deps <clone>`, fresh venv, no Node.js | {package_s:.1f} s |")
    if full_s is not None:
        print(f"| `pip install {args.torch} <clone>`, fresh venv, no Node.js | {full_s:.1f} s |")
    print(f"\nLargest files in the history: " + ", ".join(f"`{name}` {size / 1e6:.1f} MB" for size, name in top))


if __name__ == "__main__":
    main()
