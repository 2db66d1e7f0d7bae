"""The JSON edit log: ``res.save(folder)`` writes it, ``replay(folder)`` reproduces the edit.

Layout: ``edit.json`` (model, preset, prompt, seed, edit parameters, versions, timings), ``input.png``,
``result.png`` and one PNG per mask or reference image, referenced from the JSON by file name. ``metrics`` (the
in-line metrics of :func:`dragon_widgets.engine.metrics.measure_edit`) is written when the result has them; an
infinite PSNR (no pixel changed) is written as ``null``; logs without ``metrics`` load as before.
"""

from __future__ import annotations

import copy
import json
import math
import platform
from pathlib import Path

import numpy as np
from PIL import Image

from .log_schema import LOG_NAME, check_log, edit_value, open_log_image, read_log
from .preset_limits import check_preset_dict

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
    """(log dict, edit dict with masks/images loaded as arrays), read as untrusted input (see
    :mod:`.log_schema`): a malformed log raises ``ValueError`` naming edit.json and the key."""
    folder = Path(folder)
    try:
        log = check_log(read_log(folder), LOG_VERSION)
        edit = {key: edit_value(folder, key, value) for key, value in log["edit"].items()}
    except ValueError as err:
        raise _in_log(folder, err) from None
    return log, edit


def _in_log(folder: Path, err: Exception) -> ValueError:
    text = str(err)
    return ValueError(text if LOG_NAME in text else f"{folder / LOG_NAME}: {text}")


def replay(folder, editor=None, device: str = "cpu", dtype=None):
    """Re-run a saved edit: loads the model named in the log on ``device`` in ``dtype`` (default: float16 on
    CUDA, float32 elsewhere) unless ``editor`` is given, inverts the saved input with the saved prompt, and
    applies the same edit with the same seed and the logged (effective) preset, per call: ``editor`` is not changed.
    Bit-for-bit only on the machine and dtype that made it.
    The log is checked before any model is loaded; every problem in it is a ``ValueError`` naming the key."""
    from .edits import edit_from_dict
    from .editor import DragonEditor
    from .pipeline import load_pipeline
    from .presets import Preset

    folder = Path(folder)
    log, edit_d = load_log(folder)
    try:
        preset = Preset.from_dict(check_preset_dict(log["preset"])).check()
        edit = edit_from_dict(edit_d)
        image = open_log_image(folder, log["input"], "input").convert("RGB")
        copy.copy(edit).validate(image.size)  # masks and points against the input, before a model is loaded
    except (ValueError, TypeError) as err:
        raise _in_log(folder, err) from None
    if editor is None:
        if not log.get("model"):
            raise ValueError(f"the edit log in {folder} does not name its model; pass editor=dw.DragonEditor(pipe)")
        model = None if log["model"] == "embedded" else log["model"]
        try:
            pipe = load_pipeline(model, device=device, dtype=dtype)
        except ValueError:  # ModelNotAvailableError and friends already say what to do
            raise
        except (OSError, TypeError, KeyError, AttributeError) as err:  # e.g. a folder that holds no model
            raise ValueError(f"{folder / LOG_NAME}: model {log['model']!r} could not be loaded "
                             f"({type(err).__name__}: {str(err)[:200]})") from None
        editor = DragonEditor(pipe, preset=preset)
    # the logged preset is the edit's effective one (per-call preset and params included): pass it per call,
    # so a given editor is used as it is and not changed
    source = editor.invert(image, prompt=log["source_prompt"], preset=preset)
    return editor.edit(source, edit, seed=log["seed"], prompt=log["prompt"], preset=preset)
