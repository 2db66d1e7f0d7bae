"""The package's top-level names: lazy (nothing heavy on ``import dragon_widgets``) and the documented objects."""

import subprocess
import sys

import pytest

import dragon_widgets as dw


@pytest.mark.parametrize("name", ["InspectorApp", "CorrespondenceExplorer"])
def test_inspection_widgets_are_exported_at_the_top_level(name):
    from dragon_widgets.widgets import panels

    assert getattr(dw, name) is getattr(panels, name)
    assert name in dir(dw)


def test_top_level_import_stays_lazy():
    code = ("import sys, dragon_widgets as dw; heavy = [m for m in ('torch', 'ipywidgets', 'matplotlib', "
            "'dragon_widgets.widgets.panels') if m in sys.modules]; assert not heavy, heavy; "
            "dw.InspectorApp; assert 'dragon_widgets.widgets.panels' in sys.modules")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]


def test_unknown_name_is_a_clear_attribute_error():
    with pytest.raises(AttributeError, match="has no attribute 'InspectorAppp'"):
        dw.InspectorAppp
