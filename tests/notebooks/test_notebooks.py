"""The notebooks run top to bottom, each in a fresh kernel on the embedded model, as a user's "Run all" would.

Each notebook runs in a temporary folder (so its exports do not land in the checkout), with this checkout first on
the kernel's ``PYTHONPATH`` and one torch thread (``OMP_NUM_THREADS=1``). A cell that raises fails the test with
the cell's traceback. Marked ``notebooks`` (the tier) and ``embedded`` (they run the trained model).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 900  # seconds, per cell

pytestmark = [pytest.mark.notebooks, pytest.mark.embedded]


def test_the_three_notebooks_are_found():
    assert [p.stem for p in NOTEBOOKS] == ["01_quickstart", "02_edit_modes", "03_inside_dragondiffusion"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path, tmp_path):
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    env = dict(os.environ, OMP_NUM_THREADS="1",
               PYTHONPATH=os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p))
    client = NotebookClient(nb, timeout=CELL_TIMEOUT, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute(env=env)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.output_type == "error"]
    assert not errors, errors
