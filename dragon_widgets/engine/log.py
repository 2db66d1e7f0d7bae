"""The JSON edit log: ``res.save(folder)`` writes it, ``load_log(folder)`` reads it back as untrusted input, and
``dw.replay(folder)`` (:mod:`.log_replay`) reproduces the edit.

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

from .log_schema import LOG_NAME, check_log, edit_value, read_log

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
        raise in_log(folder, err) from None
    return log, edit


def in_log(folder: Path, err: Exception) -> ValueError:
    """``err`` as a ``ValueError`` that names the log file."""
    text = str(err)
    return ValueError(text if LOG_NAME in text else f"{folder / LOG_NAME}: {text}")
