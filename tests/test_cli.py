import json

import numpy as np
import pytest
from PIL import Image

from dragon_widgets import cli


@pytest.mark.embedded  # the CLI on the trained embedded model
def test_demo_writes_before_after_and_a_replayable_log(tmp_path, capsys):
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "inversion" in out and "edit" in out and "total" in out
    check = next(line for line in out.splitlines() if line.startswith("result check: "))
    assert "Background outside the edit" in check
    log = json.loads((tmp_path / "edit" / "edit.json").read_text())
    n = log["metrics"]["invented_regions"]
    assert check.startswith("result check: Warning:" if n else "result check: Nothing outside the edit changed")
    assert ("changed something it was not asked to" in out) == bool(n)  # said plainly when it found one
    before, after = Image.open(tmp_path / "before.png"), Image.open(tmp_path / "after.png")
    assert before.size == after.size == (256, 256)
    assert not np.array_equal(np.asarray(before), np.asarray(after))
    log = json.loads((tmp_path / "edit" / "edit.json").read_text())
    assert log["model"] == "embedded" and log["edit"]["kind"] == "move"


@pytest.mark.embedded  # the CLI on the trained embedded model
def test_edit_command_on_files(tmp_path, capsys):
    img, mask, offset, _ = cli.demo_scene(3)
    Image.fromarray(img).save(tmp_path / "in.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "mask.png")
    assert cli.main(["edit", "drag", str(tmp_path / "in.png"), "--points", "30,30:34,30",
                     "--out", str(tmp_path / "out.png")]) == 0
    assert Image.open(tmp_path / "out.png").size == (64, 64)
    assert json.loads(capsys.readouterr().out)["output"].endswith("out.png")


def test_edit_command_reports_bad_input_without_a_traceback(tmp_path, capsys):
    img, mask, _, _ = cli.demo_scene(3)
    Image.fromarray(img).save(tmp_path / "in.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(tmp_path / "mask.png")

    def fails(argv, match):
        assert cli.main(argv) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1 and match in err, err

    fails(["edit", "move", str(tmp_path / "in.png"), "--out", str(tmp_path / "o.png")], "needs --mask")
    fails(["edit", "move", str(tmp_path / "in.png"), "--mask", str(tmp_path / "mask.png"),
           "--offset", "500,0", "--out", str(tmp_path / "o.png")], "moves the object outside the image")
    fails(["edit", "drag", str(tmp_path / "in.png"), "--points", "30,30-34,30", "--out", "x.png"],
          "expected 'x0,y0:x1,y1'")


def test_dtype_flag_and_model_errors_without_a_traceback(tmp_path, monkeypatch, capsys):
    args = cli.build_parser().parse_args(["edit", "move", "in.png", "--out", "o.png", "--mask", "m.png"])
    assert args.dtype == "auto"  # float16 on CUDA, float32 elsewhere (dw.load_pipeline's default)
    seen = {}
    import dragon_widgets as dw

    monkeypatch.setattr(dw, "load_pipeline", lambda model, **kw: seen.update(kw) or (_ for _ in ()).throw(
        dw.ModelNotAvailableError("cannot load model 'x'")))
    for argv, dtype in ((["--dtype", "bfloat16"], "bfloat16"), ([], None)):
        assert cli.main(["demo", "--out", str(tmp_path), "--model", "x", *argv]) == 2
        assert capsys.readouterr().err == "error: cannot load model 'x'\n"
        assert seen["dtype"] == (getattr(__import__("torch"), dtype) if dtype else None)
