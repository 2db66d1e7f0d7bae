"""The showcase edits a person sees first, run on one model and scored with ShapesBench's person-visible metrics.

    python benchmarks/showcase.py                                   # the shipped embedded model, its preset
    python benchmarks/showcase.py --model /tmp/v2_export --out /tmp/showcase_v2   # another model folder; images
    python benchmarks/showcase.py --only editor-move cli-demo       # some of the cases

The cases (``CASES``):

* ``quickstart-move`` — notebook 01: the editor's built-in scene, its first shape moved 12 px sideways (the
  notebook boxes the shape and the editor's colour segmenter turns the box into the mask; here the shape's own mask).
* ``editor-move``, ``editor-resize``, ``editor-drag``, ``editor-appearance``, ``editor-paste`` — notebook 02: the
  five modes of ``dw.EditorApp()`` on its built-in scene and reference, drawn as the notebook draws them, run as
  the app runs them (the UI mode's descriptor builds the edit; the prompt is the scene's caption, seed 42, the
  model's default preset).
* ``cli-demo`` — ``dragon-widgets demo``: the CLI's one-shape scene moved by its built-in offset (empty prompt, seed 0).
* ``nb03-move``, ``nb03-drag`` — notebook 03's recorded edits: ShapesBench ``test-v1`` move 0 and drag 0 (prompt =
  caption, seed 0).

Each result is scored with :func:`dragon_widgets.bench.metrics.score` against the ground truth the scene generator
gives (the edited shape moved, scaled, recoloured, pasted, or its dragged corner moved, as the engine's edit
geometry defines them): success, target IoU, shape error (px of outline), invented objects, other objects intact,
ghost, background PSNR, and for drags the corner's distance to its target before → after. The table is Markdown;
``--out DIR`` saves, per case, input | result | ground truth (×4) and the result alone.
"""

from __future__ import annotations

import argparse
import math
import platform
import sys
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

#: A drag's ground truth moves the polygon corner nearest its first handle, if one lies within this many px.
DRAG_SNAP_PX = 3.0
#: The editor app's default seed (widgets/_params.py) and the CLI demo's / notebook 03's.
APP_SEED, CLI_SEED, NB03_SEED = 42, 0, 0


@dataclass
class Case:
    """One showcase edit: where a person sees it, its input, the engine edit and the ground truth."""

    name: str
    where: str
    mode: str  # UI mode (engine/ui_modes.py)
    image: np.ndarray  # uint8 input
    prompt: str
    edit: Any  # the engine edit (dw.Move, dw.Drag, ...)
    seed: int
    task: Any  # dragon_widgets.bench.tasks.Task: ground truth for scoring


# ---------------------------------------------------------------------------------------------
# ground truth for edits drawn on a scene (the engine's geometry: Move/Paste scale about the mask's box centre)


def _scaled_about(shape, centre_px: tuple[float, float], offset: tuple[float, float], scale: float, res: int):
    """``shape`` scaled by ``scale`` about ``centre_px`` (pixel-edge units, as the engine's mask centre) and then
    moved by ``offset`` px: ``Shape.moved`` scales about the shape's own centre, so its translation is corrected."""
    cx, cy = shape.cx * res, shape.cy * res
    dx = offset[0] + (1 - scale) * (centre_px[0] - cx)
    dy = offset[1] + (1 - scale) * (centre_px[1] - cy)
    return shape.moved(dx / res, dy / res, scale)


def move_task(name: str, scene, index: int, mask: np.ndarray, offset, scale: float = 1.0, res: int = 64):
    """Ground truth of a Move/Resize of shape ``index`` drawn with ``mask``, ``offset`` (px) and ``scale``."""
    from dragon_widgets.bench.tasks import Task
    from dragon_widgets.core.geometry import mask_center

    shape = _scaled_about(scene.shapes[index], mask_center(mask), offset, scale, res)
    return Task(id=name, kind="resize" if scale != 1.0 else "move", split="showcase", seed=[], scene=scene,
                index=index, target=scene.with_shape(index, shape), target_index=index,
                offset=(int(round(offset[0])), int(round(offset[1]))), scale=scale, res=res)


def drag_task(name: str, scene, index: int, points, res: int = 64):
    """Ground truth of a Drag on polygon shape ``index``: the corner nearest the first handle (within
    :data:`DRAG_SNAP_PX`) moved by the first handle → target vector; the other pairs are kept as drawn."""
    from dragon_widgets.bench.tasks import Task

    shape = scene.shapes[index]
    poly = shape.polygon()
    (hx, hy), (tx, ty) = points[0]
    if poly is None:
        raise ValueError(f"{name}: a drag's ground truth needs a polygon shape, got a {shape.kind}")
    dists = [math.hypot(vx * res - 0.5 - hx, vy * res - 0.5 - hy) for vx, vy in poly]
    k = int(np.argmin(dists))
    if dists[k] > DRAG_SNAP_PX:
        raise ValueError(f"{name}: the first handle {points[0][0]} is {dists[k]:.1f} px from the nearest corner; "
                         f"a drag's ground truth needs it within {DRAG_SNAP_PX} px")
    verts = list(poly)
    verts[k] = (verts[k][0] + (tx - hx) / res, verts[k][1] + (ty - hy) / res)
    return Task(id=name, kind="drag", split="showcase", seed=[], scene=scene, index=index,
                target=scene.with_shape(index, replace(shape, vertices=[tuple(map(float, v)) for v in verts])),
                target_index=index, points=[(tuple(map(float, a)), tuple(map(float, b))) for a, b in points],
                vertex=k, res=res)


def appearance_task(name: str, scene, index: int, reference, ref_index: int, res: int = 64):
    """Ground truth of an appearance replace: shape ``index`` with the reference object's colour."""
    from dragon_widgets.bench.tasks import Task

    r = reference.shapes[ref_index]
    shape = replace(scene.shapes[index], color=r.color, rgb=r.rgb, tone=r.tone)
    return Task(id=name, kind="appearance", split="showcase", seed=[], scene=scene, index=index,
                target=scene.with_shape(index, shape), target_index=index, reference=reference, ref_index=ref_index,
                res=res)


def paste_task(name: str, scene, reference, ref_index: int, ref_mask: np.ndarray, offset, scale: float, res: int = 64):
    """Ground truth of a Paste: the reference object scaled about its mask's box centre, moved by ``offset`` and
    added on top of ``scene``."""
    from dragon_widgets.bench.scenes import Scene
    from dragon_widgets.bench.tasks import Task
    from dragon_widgets.core.geometry import mask_center

    placed = _scaled_about(reference.shapes[ref_index], mask_center(ref_mask), offset, scale, res)
    target = Scene(scene.background, list(scene.shapes) + [placed])
    return Task(id=name, kind="paste", split="showcase", seed=[], scene=scene, index=-1, target=target,
                target_index=len(scene.shapes), offset=(int(round(offset[0])), int(round(offset[1]))), scale=scale,
                reference=reference, ref_index=ref_index, res=res)


# ---------------------------------------------------------------------------------------------
# the cases


def _built(mode: str, **drawing) -> Any:
    from dragon_widgets.engine.ui_modes import Drawing, ui_mode

    return ui_mode(mode).build(Drawing(**drawing))


def editor_cases() -> list[Case]:
    """Notebook 01's quick-start move and notebook 02's five modes on the editor app's built-in scene."""
    from dragon_widgets.bench.metrics import centroid
    from dragon_widgets.core import scenes
    from dragon_widgets.widgets._scene import REFERENCE_SEED, SCENE_SEED, builtin_reference, builtin_scene

    image, caption = builtin_scene()
    reference, _ = builtin_reference()
    scene = scenes.sample_scene(np.random.default_rng(SCENE_SEED), n_shapes=2)
    ref_scene = scenes.sample_scene(np.random.default_rng(REFERENCE_SEED), n_shapes=2)
    shape = scenes.render(scene, 64)[1][0] > 0.5
    ref_shape = scenes.render(ref_scene, 64)[1][0] > 0.5
    cx, cy = centroid(shape)
    out = []

    def add(name, where, mode, task, **drawing):
        out.append(Case(name, where, mode, image, caption, _built(mode, **drawing), APP_SEED, task))

    off = (12.0 if cx < 32 else -12.0, 0.0)
    add("quickstart-move", "notebook 01", "move", move_task("quickstart-move", scene, 0, shape, off),
        mask=shape, offset=off)
    off = (10.0 if cx < 32 else -10.0, 4.0)
    add("editor-move", "notebook 02 / EditorApp", "move", move_task("editor-move", scene, 0, shape, off),
        mask=shape, offset=off)
    add("editor-resize", "notebook 02 / EditorApp", "resize",
        move_task("editor-resize", scene, 0, shape, (0.0, 0.0), 1.4), mask=shape, scale=1.4)
    ys = np.nonzero(shape)[0]
    points = [((cx, ys.min() + 1.0), (cx, max(ys.min() - 6.0, 1.0))), ((cx, cy), (cx, cy))]  # top up, centre kept
    add("editor-drag", "notebook 02 / EditorApp", "drag", drag_task("editor-drag", scene, 0, points), points=points)
    add("editor-appearance", "notebook 02 / EditorApp", "appearance",
        appearance_task("editor-appearance", scene, 0, ref_scene, 0), mask=shape, reference=reference,
        reference_mask=ref_shape)
    rx, ry = centroid(ref_shape)
    off = (float(int(np.clip(32 - rx, -20, 20))), float(int(np.clip(32 - ry, -20, 20))))
    add("editor-paste", "notebook 02 / EditorApp", "paste",
        paste_task("editor-paste", scene, ref_scene, 0, ref_shape, off, 0.8), reference=reference,
        reference_mask=ref_shape, offset=off, scale=0.8)
    return out


def cli_cases() -> list[Case]:
    """``dragon-widgets demo``: its built-in scene and move."""
    from dragon_widgets.cli import demo_scene

    img, mask, offset, scene = demo_scene()
    off = (float(offset[0]), float(offset[1]))
    return [Case("cli-demo", "dragon-widgets demo", "move", img, "", _built("move", mask=mask, offset=off), CLI_SEED,
                 move_task("cli-demo", scene, 0, mask, off))]


def notebook03_cases() -> list[Case]:
    """Notebook 03's recorded move and drag (ShapesBench test-v1 tasks 0)."""
    from dragon_widgets import bench
    from dragon_widgets.bench.runner import make_edit

    out = []
    for kind in ("move", "drag"):
        task = bench.make_task(kind, "test-v1", 0)
        out.append(Case(f"nb03-{kind}", "notebook 03", kind, task.source_image, bench.caption(task.scene),
                        make_edit(task), NB03_SEED, task))
    return out


CASES: dict[str, Callable[[], list[Case]]] = {"editor": editor_cases, "cli": cli_cases, "notebook03": notebook03_cases}


def all_cases() -> list[Case]:
    return [c for make in CASES.values() for c in make()]


# ---------------------------------------------------------------------------------------------
# running and scoring


def short_preset(preset, steps: int):
    """``preset`` on ``steps`` DDIM steps, its step windows clipped to fit (smoke tests only)."""
    return preset.replace(num_steps=steps, guided_until=min(preset.guided_until, steps),
                          dense_until=min(preset.dense_until, steps),
                          time_travel_steps=tuple(t for t in preset.time_travel_steps if t < steps - 1),
                          sde_window=tuple(min(v, steps) for v in preset.sde_window),
                          ip_window=tuple(min(v, steps) for v in preset.ip_window))


def result_image(result, task) -> np.ndarray:
    """The edited image as uint8 at the task's scoring size."""
    from PIL import Image

    img = result.image if hasattr(result, "image") else result
    img = img if isinstance(img, Image.Image) else Image.fromarray(np.asarray(img, np.uint8))
    if img.size != (task.res, task.res):
        img = img.resize((task.res, task.res), Image.BICUBIC)
    return np.asarray(img.convert("RGB"))


def run_case(editor, case: Case, preset=None):
    """(uint8 result at the scoring size, EditScore) of one case; the inversion counts in the seconds."""
    from dragon_widgets.bench.metrics import score

    t0 = time.perf_counter()
    src = editor.invert(case.image, prompt=case.prompt, preset=preset)
    res = editor.edit(src, case.edit, seed=case.seed, preset=preset)
    img = result_image(res, case.task)
    return img, score(img, case.task, seconds=time.perf_counter() - t0)


def _f(x: float, fmt: str) -> str:
    return "—" if x is None or (isinstance(x, float) and math.isnan(x)) else format(x, fmt)


HEADER = ("| case | where | success | IoU | shape error px | invented | others intact | ghost | bg PSNR dB "
          "| drag px start → end | s |\n|---|---|---|---|---|---|---|---|---|---|---|")


def table_row(case: Case, s) -> str:
    """One Markdown row of :data:`HEADER`."""
    others = "—" if math.isnan(s.bystander_iou) else ("yes" if s.bystanders_ok else
                                                      f"**no** (IoU {s.bystander_iou:.2f}, ΔE {s.bystander_de:.0f})")
    drag = "—" if math.isnan(s.md_start) else f"{s.md_start:.1f} → {_f(s.md_end, '.1f')}"
    bg = "∞" if math.isinf(s.bg_psnr) else _f(s.bg_psnr, ".1f")
    return (f"| {case.name} | {case.where} | {'yes' if s.success else '**no**'} | {s.iou:.2f} | "
            f"{_f(s.shape_error, '.2f')} | {s.invented} | {others} | {_f(s.ghost, '.2f')} | {bg} | {drag} | "
            f"{s.seconds:.1f} |")


def save_images(out: Path, case: Case, result: np.ndarray) -> None:
    """``out/<case>.png`` (input | result | ground truth, ×4) and ``out/<case>_result.png``."""
    from PIL import Image

    inp = result_image(case.image, case.task)
    strip = np.hstack([inp, result, case.task.target_image])
    Image.fromarray(strip).resize((strip.shape[1] * 4, strip.shape[0] * 4), Image.NEAREST).save(out / f"{case.name}.png")
    Image.fromarray(result).save(out / f"{case.name}_result.png")


def main(argv: list[str] | None = None) -> list[tuple[Case, Any]]:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", default=None, help="diffusers model folder or hub id (default: the embedded model)")
    p.add_argument("--preset", default=None, help="preset name (default: the model family's)")
    p.add_argument("--only", nargs="+", default=None, help="run only these cases (names in the table)")
    p.add_argument("--out", default=None, help="folder for the images (input | result | ground truth)")
    p.add_argument("--steps", type=int, default=None, help="DDIM steps (smoke tests only; default: the preset's)")
    p.add_argument("--random-weights", action="store_true", help="the embedded architecture untrained (smoke test)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    p.add_argument("--quiet", action="store_true", help="print only the table")
    a = p.parse_args(argv)

    cases = all_cases()
    if a.only:
        unknown = sorted(set(a.only) - {c.name for c in cases})
        if unknown:
            p.error(f"--only: unknown cases {unknown}; choose from {[c.name for c in cases]}")
        cases = [c for c in cases if c.name in a.only]
    out = Path(a.out) if a.out else None
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)

    import torch

    import dragon_widgets as dw
    from dragon_widgets.bench import runner

    if a.threads:
        torch.set_num_threads(a.threads)
    pipe = runner.load_pipe(a.model, random_weights=a.random_weights)
    editor = dw.DragonEditor(pipe, preset=a.preset)
    preset = short_preset(editor.preset, a.steps) if a.steps else None
    label = a.model or ("random weights" if a.random_weights else "embedded (shipped)")
    if not a.quiet:
        print(f"model {label}, preset {editor.preset.name}"
              f"{f' on {a.steps} steps' if a.steps else ''}; {platform.machine()}, torch {torch.__version__}, "
              f"{torch.get_num_threads()} threads", flush=True)
    rows = []
    for case in cases:
        img, s = run_case(editor, case, preset)
        rows.append((case, s))
        if out is not None:
            save_images(out, case, img)
        if not a.quiet:
            print(f"{case.name:18s} {s.line()}", flush=True)
    print(HEADER)
    for case, s in rows:
        print(table_row(case, s))
    print(f"\n{sum(s.success for _, s in rows)}/{len(rows)} clean; "
          f"{sum(s.invented > 0 for _, s in rows)} with an invented object; "
          f"{sum(not s.bystanders_ok for _, s in rows)} with a damaged other object")
    return rows


if __name__ == "__main__":
    main()
