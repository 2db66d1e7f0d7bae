"""Command line: ``dragon-widgets demo`` and ``dragon-widgets edit <mode>`` for every UI mode descriptor
(move, resize, drag, landmark, appearance, paste)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np


def _load_mask(path: str, name: str) -> np.ndarray:
    from PIL import Image

    try:
        return np.asarray(Image.open(path).convert("L")) >= 128
    except (OSError, ValueError) as err:
        raise SystemExit(f"error: cannot read {name} {path!r}: {err}") from None


def _pair(text: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected 'x,y' (two numbers), got {text!r}") from None
    return a, b


def _points(text: str) -> tuple[tuple[float, float], tuple[float, float]]:
    try:
        h, t = text.split(":")
        return _pair(h), _pair(t)
    except (ValueError, argparse.ArgumentTypeError):
        raise argparse.ArgumentTypeError(f"expected 'x0,y0:x1,y1', got {text!r}") from None


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
    """The pipeline the arguments name, or a one-line error (no traceback) when it cannot be loaded."""
    import torch

    import dragon_widgets as dw

    dtype = None if args.dtype == "auto" else getattr(torch, args.dtype)
    try:
        return dw.load_pipeline(args.model, device=args.device, dtype=dtype)
    except (dw.ModelNotAvailableError, ValueError, TypeError) as err:
        raise SystemExit(f"error: {err}") from None


def cmd_demo(args) -> int:
    import dragon_widgets as dw
    from PIL import Image

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pipe = _load(args)
    editor = dw.DragonEditor(pipe)
    t_load = time.perf_counter() - t0
    img, mask, offset, scene = demo_scene(args.seed)
    print(f"model: {args.model or 'embedded'} ({t_load:.1f} s to load), preset {editor.preset.name}")
    print(f"scene: {scene.shapes[0].color} {scene.shapes[0].kind}; moving it by {offset} px")
    src = editor.invert(img, prompt="")
    res = editor.edit(src, dw.Move(mask=mask, offset=offset), seed=0)
    big = 4
    Image.fromarray(img).resize((img.shape[1] * big, img.shape[0] * big), Image.NEAREST).save(out / "before.png")
    res.image.resize((img.shape[1] * big, img.shape[0] * big), Image.NEAREST).save(out / "after.png")
    res.save(out / "edit")
    t = res.timings
    print(f"inversion {t['invert']:.2f} s, edit {t['edit']:.2f} s, total {t['total']:.2f} s")
    print(f"wrote {out / 'before.png'}, {out / 'after.png'} and the edit log {out / 'edit'}/edit.json")
    return 0


def _mode_name(args) -> str:
    return "landmark" if args.mode == "drag" and args.no_content else args.mode


def _build_edit(args):
    """The engine edit for the arguments, built by the mode's UI descriptor from a Drawing."""
    from PIL import Image

    from .engine.ui_modes import Drawing, ui_mode

    def image(path, name):
        try:
            return Image.open(path)
        except OSError as err:
            raise SystemExit(f"error: cannot read {name} {path!r}: {err}") from None

    drawing = Drawing(
        mask=_load_mask(args.mask, "--mask") if args.mask else None, offset=tuple(args.offset), scale=args.scale,
        points=list(args.points), reference=image(args.reference, "--reference") if args.reference else None,
        reference_mask=_load_mask(args.reference_mask, "--reference-mask") if args.reference_mask else None)
    try:
        return ui_mode(_mode_name(args)).build(drawing)
    except (ValueError, TypeError) as err:
        raise SystemExit(f"error: {err}") from None


def cmd_edit(args) -> int:
    import dragon_widgets as dw
    from PIL import Image

    try:
        image = Image.open(args.image)
    except OSError as err:
        raise SystemExit(f"error: cannot read image {args.image!r}: {err}") from None
    pipe = _load(args)
    try:
        editor = dw.DragonEditor(pipe, preset=args.preset)
    except (ValueError, TypeError) as err:
        raise SystemExit(f"error: {err}") from None
    edit = _build_edit(args)
    try:
        src = editor.invert(image, prompt=args.prompt)
        res = editor.edit(src, edit, seed=args.seed)
    except (ValueError, TypeError) as err:
        raise SystemExit(f"error: {err}") from None
    except RuntimeError as err:
        if "out of memory" not in str(err).lower():
            raise
        raise SystemExit(f"error: out of memory on {args.device} ({str(err).splitlines()[0][:120]}); try a smaller "
                         f"image, --dtype float16 on a GPU, or --device cpu") from None
    res.image.save(args.out)
    if args.log:
        res.save(args.log)
    print(json.dumps({"output": args.out, "timings": {k: round(v, 2) for k, v in res.timings.items()}}))
    return 0


_DTYPE_ARG = dict(default="auto", choices=["auto", "float32", "float16", "bfloat16"],
                  help="model precision (auto: float16 on CUDA, float32 elsewhere)")


def _ui_modes():
    from .engine.ui_modes import UI_MODES

    return UI_MODES


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dragon-widgets", description="DragonDiffusion / DiffEditor editing")
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


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "edit":
        from .engine.ui_modes import ui_mode

        missing = [n for n in ui_mode(_mode_name(args)).needs if not getattr(args, n)]
        if missing:
            raise SystemExit(f"error: {args.mode} needs " + ", ".join("--" + n.replace("_", "-") for n in missing))
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
