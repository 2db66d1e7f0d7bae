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
    assert install_cost.by_path([(5, "a"), (9, "b"), (7, "a")]) == [("a", 2, 12), ("b", 1, 9)]
    assert install_cost.folder_bytes(repo, skip=".git") == 6  # the checkout: code.py only
    assert install_cost.folder_bytes(repo / ".git") > 0
    assert install_cost.folder_bytes(repo) == install_cost.folder_bytes(repo, skip=".git") + \
        install_cost.folder_bytes(repo / ".git")


PIP_LOG = """\
2026-12-08T02:21:57,473 Obtaining file:///tmp/clone
2026-12-08T02:22:02,998     Downloading hatchling-1.33.0-py3-none-any.whl (78 kB)
2026-12-08T02:22:04,247   Processing /opt/pypi/files/pathspec-1.1.1-py3-none-any.whl (from hatchling>=1.21)
2026-12-08T02:22:37,011 Processing /opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl
2026-12-08T02:22:45,788   Downloading https://files.example.org/p/jupyterlab-4.5.0-py3-none-any.whl (12.3 MB)
2026-12-08T02:22:46,000   Downloading hatchling-1.33.0-py3-none-any.whl (78 kB)
2026-12-08T02:22:46,437 Using cached filelock-4.3.2-py3-none-any.whl (244 kB)
2026-12-08T02:22:47,000 Processing /tmp/clone
"""


def test_pip_log_says_where_each_file_came_from(install_cost):
    src = install_cost.pip_sources(PIP_LOG)
    assert src.downloaded == {"hatchling-1.33.0-py3-none-any.whl": 0.078, "jupyterlab-4.5.0-py3-none-any.whl": 12.3}
    assert src.cached == {"filelock-4.3.2-py3-none-any.whl": 0.244}
    assert src.local == {"/opt/pypi/files/pathspec-1.1.1-py3-none-any.whl",
                         "/opt/wheels/torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"}
    assert src.describe() == "2 files downloaded (12 MB), 1 from pip's cache (0 MB), 2 from local files"
    assert install_cost.pip_sources("").describe() == \
        "0 files downloaded (0 MB), 0 from pip's cache (0 MB), 0 from local files"


def test_the_bundle_check_reads_wheels_and_sdists(install_cost, tmp_path):
    import tarfile
    import zipfile

    whl = tmp_path / "p-1-py3-none-any.whl"
    with zipfile.ZipFile(whl, "w") as z:
        for name in ("dragon_widgets/static/canvas.js", "dragon_widgets/static/panels.js", "dragon_widgets/x.py",
                     "other/dragon_widgets/static/compare.js.map"):
            z.writestr(name, "x")
    assert install_cost.archive_bundle(whl) == ["canvas.js", "panels.js"]
    src = tmp_path / "files"
    for name in install_cost.BUNDLE:
        (src / "p-1" / "dragon_widgets" / "static").mkdir(parents=True, exist_ok=True)
        (src / "p-1" / "dragon_widgets" / "static" / name).write_text("x")
    sdist = tmp_path / "p-1.tar.gz"
    with tarfile.open(sdist, "w:gz") as t:
        t.add(src / "p-1", arcname="p-1")
    assert tuple(install_cost.archive_bundle(sdist)) == install_cost.BUNDLE


def test_an_environment_with_node_is_refused(install_cost, tmp_path):
    install_cost.check_node_free(str(tmp_path))
    fake = tmp_path / "node"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    with pytest.raises(SystemExit, match="node is on the fresh environment's PATH"):
        install_cost.check_node_free(str(tmp_path))
