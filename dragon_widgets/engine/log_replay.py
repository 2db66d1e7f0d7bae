"""Replaying a saved edit log: ``dw.replay(folder)`` loads the model it names, inverts the saved input and applies
the same edit with the same seed and the logged preset (the log itself is read by :mod:`.log`)."""

from __future__ import annotations

import copy
from pathlib import Path

from .edits import edit_from_dict
from .editor import DragonEditor
from .log import in_log, load_log
from .log_schema import LOG_NAME, open_log_image
from .pipeline import load_pipeline
from .preset_limits import check_preset_dict
from .presets import Preset


def replay(folder, editor=None, device: str = "cpu", dtype=None):
    """Re-run a saved edit: loads the model named in the log on ``device`` in ``dtype`` (default: float16 on
    CUDA, float32 elsewhere) unless ``editor`` is given, inverts the saved input with the saved prompt, and
    applies the same edit with the same seed and the logged (effective) preset, per call: ``editor`` is not changed.
    Bit-for-bit only on the machine and dtype that made it.
    The log is checked before any model is loaded; every problem in it is a ``ValueError`` naming the key."""
    folder = Path(folder)
    log, edit_d = load_log(folder)
    try:
        preset = Preset.from_dict(check_preset_dict(log["preset"])).check()
        edit = edit_from_dict(edit_d)
        image = open_log_image(folder, log["input"], "input").convert("RGB")
        copy.copy(edit).validate(image.size)  # masks and points against the input, before a model is loaded
    except (ValueError, TypeError) as err:
        raise in_log(folder, err) from None
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
