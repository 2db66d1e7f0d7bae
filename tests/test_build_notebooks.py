"""The notebooks are saved with their outputs (readable on GitHub, nbviewer and Colab before running), open with the
Colab cell, and stay under 2 MB; scripts/build_notebooks.py checks exactly that and is what re-creates them."""

from __future__ import annotations

import importlib.util
import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("build_notebooks", ROOT / "scripts" / "build_notebooks.py")
build = importlib.util.module_from_spec(spec)
spec.loader.exec_module(build)


@pytest.mark.parametrize("path", build.NOTEBOOKS, ids=lambda p: p.name)
def test_saved_notebooks_are_readable_before_running(path):
    assert build.check(path, build.MAX_MB) == []
    nb = json.loads(path.read_text())
    assert build.png_count(nb) >= 1  # figures (or the widgets' static twins) as PNG
    first_code = next(c for c in nb["cells"] if c["cell_type"] == "code")
    text = "".join(first_code["source"])
    assert "output.enable_custom_widget_manager()" in text and "What to expect on CPU" in text


def _notebook(tmp_path, cells, widgets=True, size_pad=0):
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    if widgets:
        nb["metadata"]["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {"m": {}}}}
    if size_pad:
        nb["metadata"]["pad"] = "x" * size_pad
    p = tmp_path / "n.ipynb"
    p.write_text(json.dumps(nb))
    return p


COLAB = {"cell_type": "code", "source": "if 'google.colab' in sys.modules: output.enable_custom_widget_manager()",
         "outputs": [], "metadata": {}}
OUT = {"cell_type": "code", "source": "1", "metadata": {},
       "outputs": [{"output_type": "display_data", "data": {"image/png": "iVBO",
                                                            "application/vnd.jupyter.widget-view+json": {}}}]}


def test_the_check_names_each_problem(tmp_path):
    assert build.check(_notebook(tmp_path, [COLAB, OUT]), 2.0) == []
    assert "Colab cell" in build.check(_notebook(tmp_path, [OUT, COLAB]), 2.0)[0]
    assert "no outputs" in build.check(_notebook(tmp_path, [COLAB, {**OUT, "outputs": []}]), 2.0)[0]
    assert "no widget state" in build.check(_notebook(tmp_path, [COLAB, OUT], widgets=False), 2.0)[0]
    big = build.check(_notebook(tmp_path, [COLAB, OUT], size_pad=3 * 2**20), 2.0)
    assert len(big) == 1 and "limit 2.0 MB" in big[0]
    err = {**OUT, "outputs": [{"output_type": "error", "ename": "ValueError", "evalue": "", "traceback": []}]}
    assert "ValueError" in build.check(_notebook(tmp_path, [COLAB, OUT, err]), 2.0)[-1]


def test_the_script_only_takes_notebooks(tmp_path, capsys):
    with pytest.raises(SystemExit):
        build.main([str(tmp_path / "missing.ipynb")])
    assert "not a notebook" in capsys.readouterr().err
