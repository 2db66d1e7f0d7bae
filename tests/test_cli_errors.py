"""The CLI as a new user meets it: every user error is one ``error: …`` line on stderr, exit status 2, no
traceback, and is found before the model loads (the runner below makes loading fail loudly)."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from dragon_widgets import cli

# Runs the CLI with model loading replaced by a loud failure: an error found after loading shows "MODEL LOADED".
RUNNER = ("import sys, dragon_widgets as dw\n"
          "def boom(*a, **k):\n"
          "    print('MODEL LOADED', file=sys.stderr); sys.exit(99)\n"
          "dw.load_pipeline = boom\n"
          "from dragon_widgets.cli import main\n"
          "sys.exit(main(sys.argv[1:]))\n")
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(Path(cli.__file__).resolve().parents[1])}


# The same for many command lines in one process (torch imports once): each main() call's stderr and status.
BATCH = ("import contextlib, io, json, sys, traceback\n"
         "import dragon_widgets as dw\n"
         "def boom(*a, **k):\n"
         "    print('MODEL LOADED', file=sys.stderr); raise SystemExit(99)\n"
         "from dragon_widgets import cli\n"
         "results = []\n"
         "for argv in json.loads(sys.argv[1]):\n"
         "    err = io.StringIO()\n"
         "    with contextlib.redirect_stderr(err):\n"
         "        dw.load_pipeline = boom\n"
         "        try:\n"
         "            rc = cli.main(argv)\n"
         "        except SystemExit as e:\n"
         "            rc = e.code\n"
         "        except BaseException:  # anything escaping main() is what the tests look for\n"
         "            rc = 'escaped'\n"
         "            err.write(traceback.format_exc())\n"
         "    results.append([rc, err.getvalue()])\n"
         "print(json.dumps(results))\n")


def run(*argv: str, cwd: Path, runner: str = RUNNER, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", runner, *argv], cwd=cwd, capture_output=True, text=True,
                          env=env or ENV, timeout=300)


def assert_user_error(p: subprocess.CompletedProcess, *fragments: str) -> None:
    assert_one_error_line(p.returncode, p.stderr, *fragments)


def assert_one_error_line(returncode, stderr: str, *fragments: str) -> None:
    lines = stderr.splitlines()
    assert returncode == 2, (returncode, stderr)
    assert "Traceback" not in stderr and "MODEL LOADED" not in stderr
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    for f in fragments:
        assert f in lines[0], lines[0]


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("cli")
    img, mask, _, _ = cli.demo_scene(3)
    Image.fromarray(img).save(d / "in.png")
    Image.fromarray(mask.astype(np.uint8) * 255).save(d / "mask.png")
    Image.fromarray(np.kron(mask, np.ones((2, 2), bool)).astype(np.uint8) * 255).save(d / "mask_x2.png")
    Image.fromarray(mask[:40].astype(np.uint8) * 255).save(d / "mask_cut.png")
    data = (d / "in.png").read_bytes()
    (d / "trunc.png").write_bytes(data[: len(data) // 2])
    (d / "notes.png").write_text("not an image")
    (d / "folder.png").mkdir()
    (d / "afile").write_text("x")
    return d


@pytest.fixture(scope="module")
def read_only_dir(tmp_path_factory) -> Path:
    """A folder nobody may write in: chmod 555 for ordinary users; root ignores modes, so for root a kernel file
    system that refuses new files even to root (/sys)."""
    d = tmp_path_factory.mktemp("ro")
    d.chmod(0o555)
    try:
        (d / "probe").write_text("x")
    except OSError:
        return d
    (d / "probe").unlink()
    d.chmod(0o755)
    sys_dir = Path("/sys")
    try:
        (sys_dir / "dragon_probe").write_text("x")
    except OSError:
        return sys_dir
    pytest.fail("no read-only folder available to test with (running as root without /sys)")


MOVE = ("edit", "move", "in.png", "--mask", "mask.png", "--offset", "5,0")


CASES = [
    (("edit", "appearance", "in.png", "--mask", "mask.png", "--reference", "nope.png", "--reference-mask", "mask.png",
      "--out", "o.png"), ("--reference 'nope.png': no such file",)),
    (("edit", "appearance", "in.png", "--mask", "mask.png", "--reference", "notes.png", "--reference-mask",
      "mask.png", "--out", "o.png"), ("--reference 'notes.png' is not an image file",)),
    (("edit", "paste", "in.png", "--reference", "trunc.png", "--reference-mask", "mask.png", "--out", "o.png"),
     ("--reference 'trunc.png' is truncated or corrupt",)),
    (("edit", "move", "trunc.png", "--mask", "mask.png", "--offset", "5,0", "--out", "o.png"),
     ("image 'trunc.png' is truncated or corrupt",)),
    (("edit", "move", "missing.png", "--mask", "mask.png", "--out", "o.png"), ("image 'missing.png': no such file",)),
    (("edit", "move", "folder.png", "--mask", "mask.png", "--out", "o.png"), ("is a folder, not an image file",)),
    (("edit", "move", "in.png", "--mask", "nomask.png", "--offset", "5,0", "--out", "o.png"),
     ("--mask 'nomask.png': no such file",)),
    (("edit", "move", "in.png", "--mask", "trunc.png", "--offset", "5,0", "--out", "o.png"),
     ("--mask 'trunc.png' is truncated or corrupt",)),
    (("edit", "move", "in.png", "--mask", "mask_cut.png", "--offset", "5,0", "--out", "o.png"),
     ("--mask 'mask_cut.png' must have the image's size", "it must match the image, 64×64 px")),
    (("edit", "appearance", "in.png", "--mask", "mask.png", "--reference", "in.png", "--reference-mask",
      "notes.png", "--out", "o.png"), ("--reference-mask 'notes.png' is not an image file",)),
    ((*MOVE, "--out", "nowhere/o.png"), ("--out: the folder 'nowhere' does not exist",)),
    ((*MOVE, "--out", "afile/o.png"), ("--out: 'afile' is not a folder",)),
    ((*MOVE, "--out", "folder.png"), ("--out 'folder.png' is a folder",)),
    ((*MOVE, "--out", "o.nonsense"), ("needs an image file extension",)),
    ((*MOVE, "--out", "o.png", "--log", "nowhere/log"), ("--log: the folder 'nowhere' does not exist",)),
    ((*MOVE, "--out", "o.png", "--device", "banana"), ("--device 'banana' is not a device",)),
    ((*MOVE, "--out", "o.png", "--device", "cuda:99"), ("--device cuda:99",)),
    ((*MOVE, "--out", "o.png", "--preset", "fastest"), ("--preset must be", "'fastest'")),
    (("edit", "move", "in.png", "--mask", "mask.png", "--offset", "500,0", "--out", "o.png"),
     ("moves the object outside the image",)),
    (("edit", "move", "in.png", "--out", "o.png"), ("move needs --mask",)),
    (("edit", "drag", "in.png", "--points", "-3,4:5,6", "--out", "o.png"), ("points[0] handle = (-3, 4) is outside",)),
    (("edit", "drag", "in.png", "--points", "1,2-3,4", "--out", "o.png"), ("expected 'x0,y0:x1,y1'",)),
    (("edit", "move", "in.png", "--mask", "mask.png", "--offset", "nan,1", "--out", "o.png"), ("--offset",)),
    (("edit", "resize", "in.png", "--mask", "mask.png", "--scale", "-2", "--out", "o.png"), ("scale",)),
    (("edit", "twirl", "in.png", "--out", "o.png"), ("invalid choice: 'twirl'",)),
    (("edit", "move", "in.png", "--mask", "mask.png", "--bogus", "--out", "o.png"), ("unrecognized arguments",)),
    (("edit", "move", "in.png", "--mask", "mask.png"), ("the following arguments are required: --out",)),
    (("demo", "--out", "afile"), ("--out 'afile' is a file, not a folder",)),
    (("demo", "--device", "banana", "--out", "demo_out"), ("--device 'banana'",)),
]
IDS = ["reference-missing", "reference-not-image", "reference-truncated", "input-truncated", "input-missing",
        "input-folder", "mask-missing", "mask-truncated", "mask-wrong-size", "reference-mask-not-image",
        "out-folder-missing", "out-under-a-file", "out-is-folder", "out-extension", "log-folder-missing",
        "device-banana", "device-cuda-index", "preset-unknown", "offset-outside", "mode-needs-mask",
        "points-outside", "points-syntax", "offset-nan", "negative-scale", "unknown-mode", "unknown-flag",
        "out-required", "demo-out-is-file", "demo-device"]


#: Command lines that pass every check (they reach the replaced model loading: status 99).
GOOD = {"offset-space": ("edit", "move", "in.png", "--mask", "mask.png", "--offset", "-8,-16", "--out", "o.png"),
        "offset-equals": ("edit", "move", "in.png", "--mask", "mask.png", "--offset=-8,-16", "--out", "o.png"),
        "mask-of-full-size-picture": ("edit", "move", "in.png", "--mask", "mask_x2.png", "--offset", "-8,-6",
                                      "--out", "o.png"),
        "cuda": (*MOVE, "--out", "o.png", "--device", "cuda")}


@pytest.fixture(scope="module")
def batch(files, read_only_dir) -> dict:
    ro = {"ro-out": (*MOVE, "--out", str(read_only_dir / "o.png")),
          "ro-demo-out": ("demo", "--out", str(read_only_dir / "demo")),
          "ro-log": (*MOVE, "--out", "o.png", "--log", str(read_only_dir / "log"))}
    every = {**dict(zip(IDS, (argv for argv, _ in CASES))), **GOOD, **ro}
    p = run(json.dumps([list(a) for a in every.values()]), cwd=files, runner=BATCH)
    assert p.returncode == 0, p.stderr
    return dict(zip(every, json.loads(p.stdout.splitlines()[-1])))


@pytest.mark.parametrize("argv, fragments", CASES, ids=IDS)
def test_user_errors_are_one_line_exit_2_before_the_model_loads(batch, request, argv, fragments):
    rc, stderr = batch[request.node.callspec.id]
    assert_one_error_line(rc, stderr, *fragments)


@pytest.mark.parametrize("argv, fragments", [CASES[0], CASES[3], CASES[15]], ids=[IDS[0], IDS[3], IDS[15]])
@pytest.mark.slow  # a fresh Python process per case
def test_user_errors_in_a_fresh_process_print_nothing_else(files, argv, fragments):
    assert_user_error(run(*argv, cwd=files), *fragments)  # no import-time warning or bar before the line


@pytest.mark.parametrize("case, fragment", [("ro-out", "--out: cannot write in"), ("ro-demo-out", "--out"),
                                            ("ro-log", "--log: cannot write in")])
def test_read_only_output_folders_are_refused_before_the_edit(batch, case, fragment):
    assert_one_error_line(*batch[case], fragment)


def test_cuda_without_cuda_is_a_user_error(batch):
    import torch

    rc, stderr = batch["cuda"]
    if torch.cuda.is_available():  # then the check passes and the (replaced) model loads
        assert rc == 99 and "MODEL LOADED" in stderr
    else:
        assert_one_error_line(rc, stderr, "--device cuda: CUDA is not available")


@pytest.mark.parametrize("case", ["offset-space", "offset-equals", "mask-of-full-size-picture"])
def test_good_command_lines_pass_every_check_and_reach_the_model(batch, case):
    rc, stderr = batch[case]
    assert rc == 99 and stderr == "MODEL LOADED\n", stderr


@pytest.mark.parametrize("flag", [["--offset", "-8,-16"], ["--offset=-8,-16"]], ids=["space", "equals"])
def test_negative_offsets_parse(flag):
    args = cli.build_parser().parse_args(["edit", "move", "in.png", "--mask", "m.png", *flag, "--out", "o.png"])
    assert args.offset == (-8.0, -16.0)


def test_negative_numbers_in_points_and_scale_parse():
    args = cli.build_parser().parse_args(["edit", "drag", "in.png", "--points", "-1,2:3,-4", "5,6:-7.5,8",
                                          "--out", "o.png"])
    assert args.points == [((-1.0, 2.0), (3.0, -4.0)), ((5.0, 6.0), (-7.5, 8.0))]


@pytest.mark.slow
@pytest.mark.embedded  # the trained embedded model
def test_a_real_edit_prints_no_third_party_warnings_or_progress_bars(files):
    p = subprocess.run([sys.executable, "-m", "dragon_widgets.cli", "edit", "move", "in.png", "--mask", "mask.png",
                        "--offset", "-8,-6", "--out", "neg.png"], cwd=files, capture_output=True, text=True,
                       env=ENV, timeout=600)
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""  # no transformers torchvision warnings, no "Loading weights" bar
    assert json.loads(p.stdout)["output"] == "neg.png" and Image.open(files / "neg.png").size == (64, 64)


# --------------------------------------------------------------------------- library users keep their logging
LOAD = "import dragon_widgets as dw\n{setup}\ndw.load_pipeline()\nprint('loaded')\n"


@pytest.mark.slow
@pytest.mark.embedded  # the trained embedded model
def test_loading_the_model_is_quiet_by_default_but_not_for_users_who_asked_for_info(tmp_path):
    quiet = run(cwd=tmp_path, runner=LOAD.format(setup=""))
    assert quiet.returncode == 0 and quiet.stdout.strip() == "loaded" and quiet.stderr == "", quiet.stderr
    verbose = run(cwd=tmp_path, runner=LOAD.format(
        setup="import transformers\ntransformers.logging.set_verbosity_info()"))
    assert verbose.returncode == 0 and "torchvision" in verbose.stderr  # their choice is respected


def test_quiet_loaders_restores_bars_and_levels_and_respects_user_levels():
    from diffusers.utils import logging as dlog
    from transformers.utils import logging as tlog

    from dragon_widgets._quiet import quiet_loaders

    log = logging.getLogger("transformers")
    before = log.level
    try:
        log.setLevel(logging.WARNING)
        with quiet_loaders():
            assert not dlog.is_progress_bar_enabled() and not tlog.is_progress_bar_enabled()
            assert log.level == logging.ERROR
        assert dlog.is_progress_bar_enabled() and tlog.is_progress_bar_enabled() and log.level == logging.WARNING
        log.setLevel(logging.INFO)  # a user who wants to see the loaders
        with quiet_loaders():
            assert log.level == logging.INFO
        with quiet_loaders(force=True):  # the CLI and the app
            assert log.level == logging.ERROR
        assert log.level == logging.INFO
        tlog.disable_progress_bar()  # a user who switched bars off keeps them off
        with quiet_loaders():
            pass
        assert not tlog.is_progress_bar_enabled()
    finally:
        tlog.enable_progress_bar()
        log.setLevel(before)


@pytest.mark.parametrize("err", [RuntimeError("CUDA out of memory. Tried to allocate 2.00 GiB"), MemoryError(),
                                 RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 8 GB")])
def test_out_of_memory_on_any_device_is_advice_not_a_traceback(err):
    from dragon_widgets.cli import UsageError, _oom_or_raise

    usage = _oom_or_raise(err, "cpu")
    assert isinstance(usage, UsageError) and str(usage).startswith("out of memory on cpu")
    with pytest.raises(RuntimeError, match="shape mismatch"):
        _oom_or_raise(RuntimeError("shape mismatch"), "cpu")
