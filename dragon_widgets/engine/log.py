"""The JSON edit log: ``res.save(folder)`` writes it, ``replay(folder)`` reproduces the edit.

Layout: ``edit.json`` (model, preset, prompt, seed, edit parameters, versions, timings), ``input.png``,
``result.png`` and one PNG per mask or reference image, referenced from the JSON by file name. ``metrics`` (the
in-line metrics of :func:`dragon_widgets.engine.metrics.measure_edit`) is written when the result has them; an
infinite PSNR (no pixel changed) is written as ``null``; logs without ``metrics`` load as before.
"""

from __future__ import annotations

import json
import math
import platform
from pathlib import Path

import numpy as np
from PIL import Image

LOG_VERSION = 1


def _versions() -> dict:
    import diffusers
    import torch

    from .. import __version__

    return {"dragon_widgets": __version__, "diffusers": diffusers.__version__, "torch": torch.__version__,
            "python": platform.python_version()}


def _json_ready(value):
    """``value`` with non-finite floats as None (strict JSON has no Infinity/NaN)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_ready(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def save_result(result, folder) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    result.source.image.save(folder / "input.png")
    result.image.save(folder / "result.png")
    params = {}
    for key, value in result.edit.to_dict().items():
        if isinstance(value, np.ndarray) and value.dtype == bool:
            name = f"{key}.png"
            Image.fromarray(value.astype(np.uint8) * 255).save(folder / name)
            params[key] = {"png": name}
        elif isinstance(value, np.ndarray):
            name = f"{key}.png"
            Image.fromarray(value).save(folder / name)
            params[key] = {"png": name}
        else:
            params[key] = value
    log = {
        "version": LOG_VERSION, "model": result.model, "preset": result.preset.to_dict(),
        "prompt": result.prompt, "source_prompt": result.source.prompt, "seed": result.seed,
        "input": "input.png", "result": "result.png", "input_size": list(result.source.size),
        "edit": params, "timings": {k: round(v, 4) for k, v in result.timings.items()}, "versions": _versions(),
    }
    if getattr(result, "metrics", None) is not None:
        log["metrics"] = _json_ready(result.metrics)
    (folder / "edit.json").write_text(json.dumps(log, indent=1, allow_nan=False))
    return folder


def load_log(folder) -> tuple[dict, dict]:
    """(log dict, edit dict with masks/images loaded as arrays)."""
    folder = Path(folder)
    path = folder / "edit.json"
    if not path.exists():
        raise FileNotFoundError(f"no edit log at {path}; pass the folder given to res.save()")
    log = json.loads(path.read_text())
    if log.get("version") != LOG_VERSION:
        raise ValueError(f"edit log version {log.get('version')!r} is not supported (expected {LOG_VERSION})")
    edit = {}
    for key, value in log["edit"].items():
        if isinstance(value, dict) and "png" in value:
            im = Image.open(folder / value["png"])
            edit[key] = (np.asarray(im.convert("L")) >= 128) if im.mode in ("L", "1") else np.asarray(im.convert("RGB"))
        else:
            edit[key] = value
    return log, edit


def replay(folder, editor=None, device: str = "cpu", dtype=None):
    """Re-run a saved edit: loads the model named in the log on ``device`` in ``dtype`` (default: float16 on
    CUDA, float32 elsewhere) unless ``editor`` is given, inverts the saved input with the saved prompt, and
    applies the same edit with the same seed and the logged (effective) preset, per call: ``editor`` is not changed.
    Bit-for-bit only on the machine and dtype that made it."""
    from .edits import edit_from_dict
    from .editor import DragonEditor
    from .pipeline import load_pipeline
    from .presets import Preset

    log, edit_d = load_log(folder)
    preset = Preset.from_dict(log["preset"])
    if editor is None:
        if not log.get("model"):
            raise ValueError(f"the edit log in {folder} does not name its model; pass editor=dw.DragonEditor(pipe)")
        model = None if log["model"] == "embedded" else log["model"]
        editor = DragonEditor(load_pipeline(model, device=device, dtype=dtype), preset=preset)
    image = Image.open(Path(folder) / log["input"]).convert("RGB")
    # the logged preset is the edit's effective one (per-call preset and params included): pass it per call,
    # so a given editor is used as it is and not changed
    source = editor.invert(image, prompt=log["source_prompt"], preset=preset)
    return editor.edit(source, edit_from_dict(edit_d), seed=log["seed"], prompt=log["prompt"], preset=preset)
