"""Command line: ``dragon-widgets demo`` and ``dragon-widgets edit <mode>`` for every UI mode descriptor
(move, resize, drag, landmark, appearance, paste)."""

from __future__ import annotations

import argparse
import copy
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from .core.command_line import USAGE_EXIT, UsageError
from .core.command_line import Parser as _Parser


def _pair(text: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'x,y' (two numbers), got {text!r}") from None
    if not (np.isfinite(a) and np.isfinite(b)):
        raise argparse.ArgumentTypeError(f"expected two finite numbers 'x,y', got {text!r}")
    return a, b


def _points(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        h, t = text.split(":")
        return _pair(h), _pair(t)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"expected 'x0,y0:x1,y1', got {text!r}") from None


# ------------------------------------------------------------------ checks before the model loads
def _read_image(path: str, flag: str) -> np.ndarray:
    from .core.images import open_image

    try:
        return open_image(path, flag)
    except (OSError, ValueError) as err:
        raise UsageError(str(err)) from None


def _read_mask(path: str, flag: str, image: np.ndarray, of: str) -> np.ndarray:
    from .core.images import open_mask

    try:
        return open_mask(path, (image.shape[1], image.shape[0]), flag, allow_empty=True, allow_full=True)
    except (OSError, ValueError) as err:
        raise UsageError(f"{err} (it must match {of}, {image.shape[1]}×{image.shape[0]} px)"
                         if "size" in str(err) else str(err)) from None


def _writable_folder(folder: Path, flag: str, create: bool = False) -> None:
    """``folder`` exists (or is created when ``create``), is a folder, and a file can be written in it."""
    if create:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except FileExistsError:
            raise UsageError(f"{flag} {str(folder)!r} is a file, not a folder") from None
        except OSError as err:
            raise UsageError(f"{flag} {str(folder)!r} cannot be created ({err.strerror or err})") from None
    if not folder.exists():
        raise UsageError(f"{flag}: the folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise UsageError(f"{flag}: {str(folder)!r} is not a folder")
    try:  # os.access is not enough (root, read-only mounts): really try
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as err:
        raise UsageError(f"{flag}: cannot write in {str(folder)!r} ({err.strerror or err})") from None


def _check_out_file(path: str, flag: str) -> None:
    from PIL import Image

    p = Path(path).expanduser()
    if p.is_dir():
        raise UsageError(f"{flag} {path!r} is a folder; give a file name such as {str(p / 'edited.png')!r}")
    ext = p.suffix.lower()
    if ext not in Image.registered_extensions():
        raise UsageError(f"{flag} {path!r} needs an image file extension such as .png or .jpg")
    _writable_folder(p.parent if str(p.parent) else Path("."), flag)


def _check_log_folder(path: str, flag: str) -> None:
    p = Path(path).expanduser()
    if p.exists():
        _writable_folder(p, flag)
    else:
        _writable_folder(p.parent if str(p.parent) else Path("."), flag)


def _check_device(text: str) -> None:
    """A device torch knows and this machine has (``cpu``, ``cuda``, ``cuda:1``, ``mps`` …)."""
    if text == "cpu":
        return
    import torch

    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError, TypeError):
        raise UsageError(f"--device {text!r} is not a device; use cpu, cuda, cuda:N or mps") from None
    if dev.type == "cpu":
        return
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise UsageError(f"--device {text}: CUDA is not available here (torch {torch.__version__}); "
                             f"use --device cpu")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise UsageError(f"--device {text}: this machine has {torch.cuda.device_count()} CUDA device(s)")
        return
    if dev.type == "mps":
        if not (hasattr(torch.backends, "mps") and torch.backends.mps.is_available()):
            raise UsageError(f"--device {text}: Apple MPS is not available here; use --device cpu")
        return
    backend = getattr(torch, dev.type, None)
    if not (backend is not None and hasattr(backend, "is_available") and backend.is_available()):
        raise UsageError(f"--device {text}: the {dev.type!r} backend is not available here; use --device cpu")


def _check_preset(name: str | None) -> None:
    if name is None:
        return
    from .engine.presets import get_preset

    try:
        get_preset(name)
    except (KeyError, ValueError, TypeError) as err:
        raise UsageError(f"--{err}") from None


def demo_scene(seed: int = 3):
    """The built-in demo scene: one shape on a smooth background, with its mask and a free move."""
    from .core.scenes import render, sample_scene, to_uint8

    rng = np.random.default_rng(seed)
    scene = sample_scene(rng, n_shapes=1)
    img, masks = render(scene, 64)
    shape = scene.shapes[0]
    # move the shape towards the image centre's opposite side, staying inside
    dx = (0.5 - shape.cx) * 64 * 0.8 or 10.0
    dy = (0.5 - shape.cy) * 64 * 0.8
    return to_uint8(img), masks[0] > 0.5, (round(dx), round(dy)), scene


def _load(args):
    """The pipeline the arguments name, or a one-line error (no traceback) when it cannot be loaded. The loaders'
    log lines and progress bars stay out of the terminal."""
    import torch

    import dragon_widgets as dw

    from ._quiet import quiet_loaders

    dtype = None if args.dtype == "auto" else getattr(torch, args.dtype)
    try:
        with quiet_loaders(force=True):
            return dw.load_pipeline(args.model, device=args.device, dtype=dtype)
    except (dw.ModelNotAvailableError, ValueError, TypeError, OSError) as err:
        raise UsageError(str(err)) from None


def _oom_or_raise(err: Exception, device: str) -> UsageError:
    from .core.errors import is_out_of_memory

    if not is_out_of_memory(err):
        raise err
    first = (str(err).splitlines() or [type(err).__name__])[0]
    return UsageError(f"out of memory on {device} ({first[:120]}); try a smaller image, "
                      f"--dtype float16 on a GPU, or --device cpu")


def cmd_demo(args) -> int:
    from PIL import Image

    from .engine.result_check_text import result_check_text

    out = Path(args.out).expanduser()
    _writable_folder(out, "--out", create=True)
    _check_device(args.device)
    import dragon_widgets as dw

    t0 = time.perf_counter()
    pipe = _load(args)
    editor = dw.DragonEditor(pipe)
    t_load = time.perf_counter() - t0
    img, mask, offset, scene = demo_scene(args.seed)
    print(f"model: {args.model or 'embedded'} ({t_load:.1f} s to load), preset {editor.preset.name}")
    print(f"scene: {scene.shapes[0].color} {scene.shapes[0].kind}; moving it by {offset} px")
    try:
        src = editor.invert(img, prompt="")
        res = editor.edit(src, dw.Move(mask=mask, offset=offset), seed=0)
        res.metrics = dw.measure_edit(editor, res)  # the result check, kept in the edit log too
    except (RuntimeError, MemoryError) as err:
        raise _oom_or_raise(err, args.device) from None
    big = 4
    try:
        Image.fromarray(img).resize((img.shape[1] * big, img.shape[0] * big), Image.NEAREST).save(out / "before.png")
        res.image.resize((img.shape[1] * big, img.shape[0] * big), Image.NEAREST).save(out / "after.png")
        res.save(out / "edit")
    except OSError as err:
        raise UsageError(f"--out: cannot write in {str(out)!r} ({err.strerror or err})") from None
    t = res.timings
    print(f"inversion {t['invert']:.2f} s, edit {t['edit']:.2f} s, total {t['total']:.2f} s")
    print(f"result check: {result_check_text(res.metrics)}")
    if res.metrics.get("invented_regions"):
        print("the edit changed something it was not asked to (an invented or damaged object): look at after.png "
              "at those boxes (pixels of the 64×64 scene)")
    print(f"wrote {out / 'before.png'}, {out / 'after.png'} and the edit log {out / 'edit'}/edit.json")
    return 0


def _mode_name(args) -> str:
    return "landmark" if args.mode == "drag" and args.no_content else args.mode


def _build_edit(args, image: np.ndarray):
    """The engine edit for the arguments, built by the mode's UI descriptor from a Drawing and validated against
    the image — all before any model is loaded."""
    from .engine.ui_modes import Drawing, ui_mode

    reference = _read_image(args.reference, "--reference") if args.reference else None
    drawing = Drawing(
        mask=_read_mask(args.mask, "--mask", image, "the image") if args.mask else None,
        offset=tuple(args.offset), scale=args.scale, points=list(args.points), reference=reference,
        reference_mask=(_read_mask(args.reference_mask, "--reference-mask", reference, "the reference")
                        if args.reference_mask and reference is not None else None))
    try:
        edit = ui_mode(_mode_name(args)).build(drawing)
        copy.copy(edit).validate((image.shape[1], image.shape[0]))
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    return edit


def cmd_edit(args) -> int:
    from PIL import Image

    image = _read_image(args.image, "image")
    edit = _build_edit(args, image)
    _check_out_file(args.out, "--out")
    if args.log:
        _check_log_folder(args.log, "--log")
    _check_preset(args.preset)
    _check_device(args.device)
    import dragon_widgets as dw

    pipe = _load(args)
    try:
        editor = dw.DragonEditor(pipe, preset=args.preset)
        src = editor.invert(image, prompt=args.prompt)
        res = editor.edit(src, edit, seed=args.seed)
    except (ValueError, TypeError) as err:
        raise UsageError(str(err)) from None
    except (RuntimeError, MemoryError) as err:
        raise _oom_or_raise(err, args.device) from None
    try:
        res.image.save(args.out)
        if args.log:
            res.save(args.log)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot write the result: {err}") from None
    print(json.dumps({"output": args.out, "timings": {k: round(v, 2) for k, v in res.timings.items()}}))
    return 0


_DTYPE_ARG = dict(default="auto", choices=["auto", "float32", "float16", "bfloat16"],
                  help="model precision (auto: float16 on CUDA, float32 elsewhere)")


def _ui_modes():
    from .engine.ui_modes import UI_MODES

    return UI_MODES


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="dragon-widgets", description="DragonDiffusion / DiffEditor editing")
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("demo", help="move an object in a built-in scene with the embedded model")
    d.add_argument("--out", default="dragon_demo", help="output folder (default: dragon_demo)")
    d.add_argument("--model", default=None, help="model (default: the embedded model)")
    d.add_argument("--device", default="cpu")
    d.add_argument("--dtype", **_DTYPE_ARG)
    d.add_argument("--seed", type=int, default=3, help="which built-in scene")
    d.set_defaults(func=cmd_demo)

    e = sub.add_parser("edit", help="edit an image file")
    e.add_argument("mode", choices=[d.name for d in _ui_modes()])
    e.add_argument("image")
    e.add_argument("--out", required=True, help="output PNG")
    e.add_argument("--mask", help="object mask PNG (move/resize/appearance) or editable-region mask (drag)")
    e.add_argument("--offset", type=_pair, default=(0.0, 0.0), help="dx,dy in pixels (move/resize/paste)")
    e.add_argument("--scale", type=float, default=1.0, help="resize factor (move/resize/paste)")
    e.add_argument("--points", type=_points, nargs="+", default=[], help="drag pairs x0,y0:x1,y1 ...")
    e.add_argument("--no-content", action="store_true", help="drag without the content term (the same as the landmark mode)")
    e.add_argument("--reference", help="reference image (appearance/paste)")
    e.add_argument("--reference-mask", help="reference object mask PNG (appearance/paste)")
    e.add_argument("--prompt", default="")
    e.add_argument("--seed", type=int, default=0)
    e.add_argument("--model", default=None)
    e.add_argument("--preset", default=None)
    e.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, mps …")
    e.add_argument("--dtype", **_DTYPE_ARG)
    e.add_argument("--log", default=None, help="also write the edit log to this folder")
    e.set_defaults(func=cmd_edit)
    return p


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Run the command line. Every user error (bad flags, unreadable or non-image files, an output folder that
    cannot be written, an unusable device, an invalid edit) prints one ``error: …`` line on stderr, no traceback,
    and returns 2 — all checked before the model loads. Third-party warnings and progress bars stay out."""
    from ._quiet import quiet_warnings

    shown = warnings.showwarning
    warnings.showwarning = _one_line_warning
    try:
        with quiet_warnings():
            args = build_parser().parse_args(argv)
            if args.command == "edit":
                from .engine.ui_modes import ui_mode

                missing = [n for n in ui_mode(_mode_name(args)).needs if not getattr(args, n)]
                if missing:
                    raise UsageError(f"{args.mode} needs " + ", ".join("--" + n.replace("_", "-") for n in missing))
            return args.func(args)
    except UsageError as err:
        print("error: " + " ".join(str(err).split()), file=sys.stderr)
        return USAGE_EXIT
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    finally:
        warnings.showwarning = shown


if __name__ == "__main__":
    sys.exit(main())
