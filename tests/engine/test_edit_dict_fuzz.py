"""Property-based fuzzing of what a log or a user hands the engine as data: any edit dictionary gives a valid Edit
or a ValueError (and a built Edit validates or raises ValueError), any preset dictionary gives a Preset or a
ValueError, and any change to a saved edit.json is either read or refused with a ValueError."""

from __future__ import annotations

import copy
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from PIL import Image

import dragon_widgets as dw
from dragon_widgets.engine.edits import EDIT_TYPES
from dragon_widgets.engine.log import load_log
from dragon_widgets.engine.preset_limits import check_preset_dict

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SIZE = (32, 24)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)
numbers = st.integers(-100, 100) | st.floats(-100, 100) | st.floats(allow_nan=True, allow_infinity=True)
pairs = st.lists(numbers, min_size=2, max_size=2) | st.tuples(numbers, numbers) | json_values
arrays = hnp.arrays(
    dtype=st.sampled_from([np.bool_, np.uint8, np.uint16, np.int8, np.int64, np.float32, np.float64, np.complex64]),
    shape=st.sampled_from([(24, 32), (24, 32, 3), (24, 32, 4), (24, 32, 1), (24, 32, 2), (0, 0), (8, 8), (24,), (2, 24, 32, 3)]),
    elements=None,
)
images = st.builds(lambda mode, w, h: Image.new(mode, (w, h)), st.sampled_from(["L", "1", "RGB", "RGBA", "I;16", "F", "P"]),
                   st.integers(1, 40), st.integers(1, 40))
field_values = {
    "mask": arrays | images | json_values,
    "reference_region": arrays | st.none() | json_values,
    "reference_mask": arrays | images | json_values,
    "reference": arrays | images | json_values,
    "offset": pairs,
    "scale": numbers | json_values,
    "points": st.lists(st.tuples(pairs, pairs), max_size=3) | st.lists(pairs, max_size=3) | json_values,
    "content": st.booleans() | json_values,
    "reference_prompt": st.text(max_size=10) | json_values,
}


@st.composite
def edit_dicts(draw):
    kind = draw(st.sampled_from(sorted(EDIT_TYPES)) | json_values)
    keys = draw(st.lists(st.sampled_from(sorted(field_values)), unique=True, max_size=len(field_values)))
    d = {k: draw(field_values[k]) for k in keys}
    d.update(draw(st.dictionaries(st.text(max_size=5), json_values, max_size=2)))
    if draw(st.booleans()):
        d["kind"] = kind
    return d


@FUZZ
@given(edit_dicts())
def test_any_edit_dict_gives_a_valid_edit_or_a_value_error(d):
    try:
        edit = dw.edit_from_dict(d)
    except ValueError:
        return
    assert isinstance(edit, dw.Edit)
    try:
        copy.copy(edit).validate(SIZE)
    except ValueError:
        pass


@FUZZ
@given(st.dictionaries(st.text(max_size=6), json_values, max_size=6) | json_values)
def test_anything_in_place_of_an_edit_dict_is_a_value_error(d):
    assume(not isinstance(d, dict) or d.get("kind") not in EDIT_TYPES)
    with pytest.raises(ValueError):
        dw.edit_from_dict(d)


def _valid_edits(draw_mask):
    return [dw.Move(mask=draw_mask, offset=(3, 2)).to_dict(), dw.Drag(points=[((1, 2), (5, 6))]).to_dict(),
            dw.Landmark(points=[((1, 2), (5, 6))], mask=draw_mask).to_dict()]


@FUZZ
@given(st.integers(0, 2), st.sampled_from(["offset", "points", "mask", "scale", "content", "kind"]), json_values)
def test_one_bad_field_in_a_valid_edit_dict_is_a_value_error_or_an_edit(which, key, value):
    m = np.zeros((24, 32), bool)
    m[5:15, 5:15] = True
    d = _valid_edits(m)[which]
    d[key] = value
    try:
        edit = dw.edit_from_dict(d)
    except ValueError:
        return
    try:
        copy.copy(edit).validate(SIZE)
    except ValueError:
        pass


def _paths(d, prefix=()):
    """Every key path of a nested JSON dict."""
    for k, v in d.items():
        yield prefix + (k,)
        if isinstance(v, dict):
            yield from _paths(v, prefix + (k,))


PRESET_PATHS = sorted(set(_paths(dw.get_preset("sd15").to_dict())), key=str)


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PRESET_PATHS), json_values | st.just("__drop__")), min_size=1, max_size=3))
def test_any_change_to_a_preset_dict_gives_a_preset_or_a_value_error(changes):
    d = json.loads(json.dumps(dw.get_preset("sd15").to_dict()))
    for path, value in changes:
        node = d
        for k in path[:-1]:
            if not isinstance(node, dict) or k not in node:
                break
            node = node[k]
        else:
            if isinstance(node, dict):
                if value == "__drop__":
                    node.pop(path[-1], None)
                else:
                    node[path[-1]] = value
    try:
        preset = dw.Preset.from_dict(check_preset_dict(d)).check()
    except ValueError:
        return
    assert isinstance(preset, dw.Preset) and 8 <= preset.resolution <= 2048


@pytest.fixture(scope="module")
def saved_log(tiny_editor, tiny_source, scene_image, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzzlog") / "move"
    tiny_editor.edit(tiny_source, dw.Move(mask=scene_image[1], offset=(40, 10)), seed=5).save(folder)
    return folder


LOG_KEYS = ["version", "model", "preset", "prompt", "source_prompt", "seed", "input", "edit", "input_size", "timings"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(LOG_KEYS + ["edit.mask", "edit.offset", "edit.kind"]),
                       json_values | st.just("__drop__"), min_size=1, max_size=3))
def test_any_change_to_a_saved_edit_json_is_read_or_refused_with_a_value_error(saved_log, changes):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "log"
        shutil.copytree(saved_log, folder)
        data = json.loads((folder / "edit.json").read_text())
        for key, value in changes.items():
            node, name = (data["edit"], key[5:]) if key.startswith("edit.") and isinstance(data.get("edit"), dict) else (data, key)
            if value == "__drop__":
                node.pop(name, None)
            else:
                node[name] = value
        (folder / "edit.json").write_text(json.dumps(data))
        try:
            log, edit = load_log(folder)
            dw.edit_from_dict(edit)
            dw.Preset.from_dict(check_preset_dict(log["preset"])).check()
        except ValueError:
            pass
