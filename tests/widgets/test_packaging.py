"""The built front end ships in the wheel (it is gitignored, so only the build hook/artifacts put it there)."""

from __future__ import annotations

import pathlib
import subprocess
import sys
import zipfile

from dragon_widgets.widgets import _frontend

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_every_src_js_entry_is_built():
    entries = sorted(p.stem for p in (ROOT / "src_js").glob("*.js") if not p.name.startswith("_"))
    assert "canvas" in entries and "compare" in entries
    missing = [e for e in entries if not (_frontend.STATIC / f"{e}.js").is_file()]
    assert not missing, f"not built: {missing} (npm run build)"


def test_placeholder_when_the_bundle_is_missing(monkeypatch, tmp_path):
    monkeypatch.setattr(_frontend, "STATIC", tmp_path)
    esm = _frontend.esm("canvas")
    assert isinstance(esm, str) and "front end (canvas) is not built" in esm and "export default" in esm


def test_wheel_contains_the_static_bundle(tmp_path):
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", str(ROOT), "-w", str(tmp_path)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    (wheel,) = tmp_path.glob("dragon_widgets-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    for entry in ("canvas", "compare", "panels", "standalone"):  # standalone: the save_html pages' script
        assert f"dragon_widgets/static/{entry}.js" in names, names
    assert not any(n.startswith("src_js/") for n in names)
