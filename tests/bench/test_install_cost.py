"""benchmarks/install_cost.py: the sizes it reports count what a clone holds — files deleted long ago still weigh in
the history, the .git folder is not counted twice — on a small repository made here (no network, no install)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def install_cost():
    spec = importlib.util.spec_from_file_location("install_cost_script", ROOT / "benchmarks" / "install_cost.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=repo, check=True,
                   capture_output=True)


def test_a_file_deleted_from_the_tree_still_counts_in_the_history(install_cost, tmp_path):
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "state.bin").write_bytes(b"\1" * 30_000)
    (repo / "code.py").write_text("x = 1\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "a training state, committed")
    (repo / "state.bin").unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "and removed again")
    top = install_cost.largest_in_history(repo, 2)
    assert top == [(30_000, "state.bin"), (6, "code.py")]
    assert install_cost.folder_bytes(repo, skip=".git") == 6  # the checkout: code.py only
    assert install_cost.folder_bytes(repo / ".git") > 0
    assert install_cost.folder_bytes(repo) == install_cost.folder_bytes(repo, skip=".git") + \
        install_cost.folder_bytes(repo / ".git")
