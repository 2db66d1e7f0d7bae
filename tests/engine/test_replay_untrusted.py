"""Replay treats edit.json as untrusted: every tampered log is refused with a ValueError naming edit.json and the
key (never a KeyError/TypeError/MemoryError, never a file outside the log folder read, never a pickle run), all
before a model is loaded or an image inverted."""

from __future__ import annotations

import json
import pickle
import shutil
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

import dragon_widgets as dw
from dragon_widgets.engine.log import load_log
from dragon_widgets.engine.log_schema import MAX_LOG_BYTES


@pytest.fixture(scope="module")
def saved(tiny_editor, tiny_source, scene_image, tmp_path_factory):
    """Two valid logs (a move and a paste) to tamper with."""
    img, m = scene_image
    root = tmp_path_factory.mktemp("logs")
    tiny_editor.edit(tiny_source, dw.Move(mask=m, offset=(40, 10)), seed=5).save(root / "move")
    tiny_editor.edit(tiny_source, dw.Paste(reference=img, reference_mask=m, offset=(60, 0)), seed=1).save(root / "paste")
    return root


def _copy(saved, tmp_path, which="move"):
    folder = tmp_path / which
    shutil.copytree(saved / which, folder)
    return folder


def _edit_json(folder, change):
    data = json.loads((folder / "edit.json").read_text())
    change(data)
    (folder / "edit.json").write_text(json.dumps(data))


def _set(path, value):
    def change(d):
        *head, last = path
        for k in head:
            d = d[k]
        d[last] = value
    return change


def _drop(path):
    def change(d):
        *head, last = path
        for k in head:
            d = d[k]
        del d[last]
    return change


class _Boom:
    """Unpickling this writes a marker file: a log must never unpickle anything."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _png_header(w: int, h: int) -> bytes:
    """A PNG whose header claims w×h pixels (its data is one empty row): only the header may be read."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00")) + chunk(b"IEND", b"")


# name → (tamper(folder, outside) , message pattern); ``outside`` is a folder next to the log with an image in it
TAMPERED = {
    "not JSON": (lambda f, o: (f / "edit.json").write_text("{model: embedded,"), r"edit\.json is not a valid JSON"),
    "binary garbage": (lambda f, o: (f / "edit.json").write_bytes(b"\xff\xfe\x00garbage"), r"edit\.json is not a valid JSON"),
    "a JSON list": (lambda f, o: (f / "edit.json").write_text("[1, 2]"), r"edit\.json must hold a JSON object"),
    "too large": (lambda f, o: (f / "edit.json").write_text(" " * (MAX_LOG_BYTES + 1) + "{}"), "an edit log is at most"),
    "deeply nested": (lambda f, o: (f / "edit.json").write_text("[" * 100_000 + "]" * 100_000), "not a valid JSON"),
    "version missing": (lambda f, o: _edit_json(f, _drop(["version"])), "version None is not supported"),
    "version a string": (lambda f, o: _edit_json(f, _set(["version"], "1")), "version '1' is not supported"),
    "seed missing": (lambda f, o: _edit_json(f, _drop(["seed"])), "the key 'seed' is missing"),
    "seed a string": (lambda f, o: _edit_json(f, _set(["seed"], "abc")), "seed must be an integer"),
    "seed a float": (lambda f, o: _edit_json(f, _set(["seed"], 1.5)), "seed must be an integer"),
    "seed 2**64": (lambda f, o: _edit_json(f, _set(["seed"], 2 ** 64)), r"seed must be an integer in \[0, 2\*\*63\)"),
    "seed negative": (lambda f, o: _edit_json(f, _set(["seed"], -3)), r"seed must be an integer in \[0"),
    "seed true": (lambda f, o: _edit_json(f, _set(["seed"], True)), "seed must be an integer"),
    "prompt a number": (lambda f, o: _edit_json(f, _set(["prompt"], 5)), "prompt must be a string"),
    "source_prompt missing": (lambda f, o: _edit_json(f, _drop(["source_prompt"])), "'source_prompt' is missing"),
    "model a list": (lambda f, o: _edit_json(f, _set(["model"], ["embedded"])), "model must be a model name"),
    "preset a string": (lambda f, o: _edit_json(f, _set(["preset"], "sd15")), "preset must be an object"),
    "edit a list": (lambda f, o: _edit_json(f, _set(["edit"], [1])), "edit must be an object"),
    "input ../": (lambda f, o: _edit_json(f, _set(["input"], "../outside/secret.png")), "input = '../outside/secret.png' is not a plain file name"),
    "input absolute": (lambda f, o: _edit_json(f, _set(["input"], str(o / "secret.png"))), "is not a plain file name"),
    "input ..": (lambda f, o: _edit_json(f, _set(["input"], "..")), "is not a plain file name"),
    "input backslash": (lambda f, o: _edit_json(f, _set(["input"], "..\\secret.png")), "is not a plain file name"),
    "input a number": (lambda f, o: _edit_json(f, _set(["input"], 3)), "input must be a file name"),
    "input missing file": (lambda f, o: _edit_json(f, _set(["input"], "nope.png")), "input names 'nope.png', which is not a file"),
    "input a folder": (lambda f, o: (f / "sub.png").mkdir() or _edit_json(f, _set(["input"], "sub.png")), "which is not a file"),
    "input a symlink out": (lambda f, o: (f / "link.png").symlink_to(o / "secret.png") or _edit_json(f, _set(["input"], "link.png")),
                            "leads outside the log folder"),
    "input a text file": (lambda f, o: (f / "input.png").write_text("hello"), r"input \(input.png\) is not a readable PNG"),
    "input a JPEG": (lambda f, o: Image.new("RGB", (200, 100)).save(f / "input.png", format="JPEG"), "is not a readable PNG"),
    "input truncated": (lambda f, o: (f / "input.png").write_bytes((f / "input.png").read_bytes()[:200]), "is not a readable PNG"),
    "input a pickle": (lambda f, o: (f / "input.png").write_bytes(pickle.dumps(_Boom(str(o / "PWNED")))), "is not a readable PNG"),
    "input huge header": (lambda f, o: (f / "input.png").write_bytes(_png_header(60000, 60000)), "is too large: a log image may have at most"),
    "input too wide": (lambda f, o: (f / "input.png").write_bytes(_png_header(20000, 100)), r"at most 16384 px a side .*, it has 20000×100"),
    "mask huge header": (lambda f, o: (f / "mask.png").write_bytes(_png_header(9000, 9000)), r"edit\.mask \(mask.png\) is too large"),
    "mask ../": (lambda f, o: _edit_json(f, _set(["edit", "mask"], {"png": "../outside/secret.png"})), r"edit\.mask = .* is not a plain file name"),
    "mask a symlink out": (lambda f, o: (f / "m.png").symlink_to(o / "secret.png") or _edit_json(f, _set(["edit", "mask"], {"png": "m.png"})),
                           r"edit\.mask = 'm.png' leads outside"),
    "mask a pickle": (lambda f, o: (f / "mask.png").write_bytes(pickle.dumps(_Boom(str(o / "PWNED")))), r"edit\.mask \(mask.png\) is not a readable PNG"),
    "mask extra keys": (lambda f, o: _edit_json(f, _set(["edit", "mask"], {"png": "mask.png", "path": "/etc"})), r"edit\.mask must be a JSON value or"),
    "mask wrong size": (lambda f, o: Image.new("L", (50, 50), 255).save(f / "mask.png"), r"mask must have the image's size"),
    "edit kind unknown": (lambda f, o: _edit_json(f, _set(["edit", "kind"], "warp")), "edit kind must be one of"),
    "edit kind missing": (lambda f, o: _edit_json(f, _drop(["edit", "kind"])), "edit kind must be one of"),
    "edit mask missing": (lambda f, o: _edit_json(f, _drop(["edit", "mask"])), r"edit \(move\) is missing the key 'mask'"),
    "edit unknown key": (lambda f, o: _edit_json(f, _set(["edit", "exec"], "rm -rf /")), r"edit \(move\) has an unknown key 'exec'"),
    "edit offset string": (lambda f, o: _edit_json(f, _set(["edit", "offset"], "34")), r"edit\.offset must be a pair"),
    "edit offset nested": (lambda f, o: _edit_json(f, _set(["edit", "offset"], [[1], [2]])), r"edit\.offset must be a pair"),
    "edit scale null": (lambda f, o: _edit_json(f, _set(["edit", "scale"], None)), r"edit\.scale must be a number"),
    "edit scale huge": (lambda f, o: _edit_json(f, _set(["edit", "scale"], 1e300)), "scale must be between"),
    "preset resolution 100000": (lambda f, o: _edit_json(f, _set(["preset", "resolution"], 100000)),
                                 r"preset\.resolution must be an integer in \[8, 2048\], got 100000"),
    "preset resolution a float": (lambda f, o: _edit_json(f, _set(["preset", "resolution"], 128.0)), r"preset\.resolution must be an integer"),
    "preset resolution missing": (lambda f, o: _edit_json(f, _drop(["preset", "resolution"])), "preset is missing the key 'resolution'"),
    "preset multiple 0": (lambda f, o: _edit_json(f, _set(["preset", "multiple"], 0)), r"preset\.multiple must be an integer"),
    "preset multiple > resolution": (lambda f, o: _edit_json(f, _set(["preset", "multiple"], 512)), r"preset\.multiple must be an integer in \[1, resolution=128\]"),
    "preset num_steps 0": (lambda f, o: _edit_json(f, _set(["preset", "num_steps"], 0)), r"preset\.num_steps must be an integer in \[1, 1000\]"),
    "preset num_steps 1e9": (lambda f, o: _edit_json(f, _set(["preset", "num_steps"], 10 ** 9)), r"preset\.num_steps"),
    "preset num_steps a string": (lambda f, o: _edit_json(f, _set(["preset", "num_steps"], "10")), r"preset\.num_steps"),
    "preset unknown key": (lambda f, o: _edit_json(f, _set(["preset", "evil"], 1)), r"preset has an unknown key 'evil'"),
    "preset schedule": (lambda f, o: _edit_json(f, _set(["preset", "schedule"], "fast")), r"preset\.schedule must be one of"),
    "preset feature_blocks empty": (lambda f, o: _edit_json(f, _set(["preset", "feature_blocks"], [])), r"preset\.feature_blocks must be a list"),
    "preset feature_blocks 99": (lambda f, o: _edit_json(f, _set(["preset", "feature_blocks"], [1, 99])), r"preset\.feature_blocks"),
    "preset feature_layers not names": (lambda f, o: _edit_json(f, _set(["preset", "feature_layers"], [1, 2])), r"preset\.feature_layers"),
    "preset bank_layers shell": (lambda f, o: _edit_json(f, _set(["preset", "bank_layers"], ["up_blocks.1; rm -rf /"])), r"preset\.bank_layers"),
    "preset feature_layers empty": (lambda f, o: _edit_json(f, _set(["preset", "feature_layers"], [])), r"preset\.feature_layers"),
    "preset feature_upscale 1000": (lambda f, o: _edit_json(f, _set(["preset", "feature_upscale"], 1000)), r"preset\.feature_upscale"),
    "preset sde_window 3 numbers": (lambda f, o: _edit_json(f, _set(["preset", "sde_window"], [1, 2, 3])), r"preset\.sde_window must be a list of 2"),
    "preset time travel past the end": (lambda f, o: _edit_json(f, _set(["preset", "time_travel_steps"], [50])), "time_travel_steps must be below"),
    "preset time_travel_rounds 10**6": (lambda f, o: _edit_json(f, _set(["preset", "time_travel_rounds"], 10 ** 6)), r"preset\.time_travel_rounds"),
    "preset drag_window 10**4": (lambda f, o: _edit_json(f, _set(["preset", "drag_window"], 10 ** 4)), r"preset\.drag_window"),
    "preset bank_device injected": (lambda f, o: _edit_json(f, _set(["preset", "bank_device"], "cuda; rm -rf /")), r"preset\.bank_device must be null"),
    "preset bank_dtype": (lambda f, o: _edit_json(f, _set(["preset", "bank_dtype"], "float64")), r"preset\.bank_dtype must be one of"),
    "preset modes a list": (lambda f, o: _edit_json(f, _set(["preset", "modes"], [])), r"preset\.modes must be an object"),
    "preset unknown mode": (lambda f, o: _edit_json(f, _set(["preset", "modes", "warp"], {})), r"preset\.modes has an unknown mode 'warp'"),
    "preset energy_scale NaN": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "energy_scale"], float("nan"))),
                                r"preset\.modes\.move\.energy_scale must be a number"),
    "preset energy_scale a string": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "energy_scale"], "big")),
                                     r"preset\.modes\.move\.energy_scale"),
    "preset guidance_scale 1e9": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "guidance_scale"], 1e9)),
                                  r"preset\.modes\.move\.guidance_scale must be a number in"),
    "preset w_edit inf": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "w_edit"], float("inf"))), r"preset\.modes\.move\.w_edit"),
    "preset sde_strength 5": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "sde_strength"], 5)), r"preset\.modes\.move\.sde_strength"),
    "preset bank_rule": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "bank_rule"], "merge")), r"preset\.modes\.move\.bank_rule"),
    "preset bank_steps reversed type": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "bank_steps"], "5-10")), r"preset\.modes\.move\.bank_steps"),
    "preset layer_weights too many": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "layer_weights"], [0.5] * 3)), "layer_weights"),
    "preset mode unknown key": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "w_evil"], 1)), r"MoveParams has no parameters \['w_evil'\]|unknown key 'w_evil'"),
    "preset latent_copy a string": (lambda f, o: _edit_json(f, _set(["preset", "modes", "move", "latent_copy"], "yes")), r"preset\.modes\.move\.latent_copy must be true or false"),
    "preset mode missing guidance": (lambda f, o: _edit_json(f, _drop(["preset", "modes", "move", "guidance_scale"])), r"preset\.modes\.move is missing the key 'guidance_scale'"),
}


@pytest.fixture
def outside(tmp_path):
    o = tmp_path / "outside"
    o.mkdir()
    Image.new("RGB", (200, 100), (255, 0, 0)).save(o / "secret.png")
    Image.new("L", (200, 100), 255).save(o / "secret_mask.png")
    return o


@pytest.mark.parametrize("case", sorted(TAMPERED))
def test_a_tampered_log_is_refused_with_a_value_error_naming_the_problem(case, saved, tmp_path, outside, tiny_editor,
                                                                         monkeypatch):
    from dragon_widgets.engine import editor as editor_mod

    tamper, match = TAMPERED[case]
    folder = _copy(saved, tmp_path)
    tamper(folder, outside)
    # nothing is inverted before the log passed its checks
    monkeypatch.setattr(editor_mod.DragonEditor, "invert", lambda *a, **k: pytest.fail("inverted a bad log"))
    with pytest.raises(ValueError, match=match) as info:
        dw.replay(folder, editor=tiny_editor)
    assert "edit.json" in str(info.value)
    assert not (outside / "PWNED").exists()


def test_a_reference_image_outside_the_folder_is_never_read(saved, tmp_path, outside, tiny_editor):
    folder = _copy(saved, tmp_path, "paste")
    _edit_json(folder, _set(["edit", "reference"], {"png": str(outside / "secret.png")}))
    with pytest.raises(ValueError, match=r"edit\.reference = .* is not a plain file name"):
        load_log(folder)
    (folder / "ref.png").symlink_to(outside / "secret.png")
    _edit_json(folder, _set(["edit", "reference"], {"png": "ref.png"}))
    with pytest.raises(ValueError, match=r"edit\.reference = 'ref.png' leads outside"):
        load_log(folder)


def test_a_symlink_that_stays_inside_the_folder_is_fine(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    (folder / "input_link.png").symlink_to(folder / "input.png")
    _edit_json(folder, _set(["input"], "input_link.png"))
    from dragon_widgets.engine.log_schema import open_log_image

    log, edit = load_log(folder)
    assert open_log_image(folder, log["input"], "input").size == (200, 100) and edit["mask"].dtype == bool


def test_a_log_from_before_the_per_mode_parameters_still_replays_its_checks(saved, tmp_path, tiny_editor):
    # version-1 logs may name drag's contrast weight w_inpaint (the old union name); it is accepted and translated
    folder = _copy(saved, tmp_path)
    data = json.loads((folder / "edit.json").read_text())
    drag = data["preset"]["modes"]["drag"]
    drag["w_inpaint"] = drag.pop("w_contrast")
    (folder / "edit.json").write_text(json.dumps(data))
    from dragon_widgets.engine.preset_limits import check_preset_dict

    preset = dw.Preset.from_dict(check_preset_dict(data["preset"]))
    assert preset.mode("drag").w_contrast == tiny_editor.preset.mode("drag").w_contrast
    with pytest.raises(ValueError, match=r"preset\.modes\.drag\.w_inpaint must be a number"):
        drag["w_inpaint"] = "x"
        check_preset_dict(data["preset"])


def test_a_valid_log_still_replays_bit_for_bit(saved, tiny_editor, tmp_path):
    folder = _copy(saved, tmp_path)
    first = np.asarray(Image.open(folder / "result.png"))
    again = dw.replay(folder, editor=tiny_editor)
    assert np.array_equal(np.asarray(again.image), first)


def test_every_preset_number_has_explicit_bounds():
    from dataclasses import fields

    from dragon_widgets.engine.edits import MODE_PARAMS
    from dragon_widgets.engine.preset_limits import PRESET_LIMITS, mode_limit

    missing = [f.name for f in fields(dw.Preset) if f.name != "modes" and f.name not in PRESET_LIMITS]
    for mode, cls in MODE_PARAMS.items():
        missing += [f"{mode}.{f.name}" for f in fields(cls) if mode_limit(f.name) is None]
    assert not missing, f"add bounds for {missing} in engine/preset_limits.py"


def test_a_model_name_that_is_no_model_is_a_value_error_naming_it(saved, tmp_path):
    folder = _copy(saved, tmp_path)
    empty = tmp_path / "not_a_model"
    empty.mkdir()
    _edit_json(folder, _set(["model"], str(empty)))
    with pytest.raises(ValueError, match=r"edit\.json: model '.*not_a_model' could not be loaded"):
        dw.replay(folder)
    _edit_json(folder, _set(["model"], str(folder / "edit.json")))
    with pytest.raises(ValueError, match="model file must be a .safetensors or .ckpt"):
        dw.replay(folder)


def test_every_field_of_every_edit_class_has_a_type_check():
    from dataclasses import fields

    from dragon_widgets.engine.edits import EDIT_TYPES
    from dragon_widgets.engine.edits.schema import FIELD_CHECKS

    missing = [f"{kind}.{f.name}" for kind, cls in EDIT_TYPES.items() for f in fields(cls) if f.name not in FIELD_CHECKS]
    assert not missing, f"add checks for {missing} in engine/edits/schema.py"
