import numpy as np
import pytest

import dragon_widgets as dw


@pytest.fixture
def m(scene_image):
    return scene_image[1]


def check(tiny_editor, tiny_source, edit, match, err=ValueError):
    with pytest.raises(err, match=match):
        tiny_editor.edit(tiny_source, edit)


def test_move_errors_name_the_argument(tiny_editor, tiny_source, m):
    check(tiny_editor, tiny_source, dw.Move(mask=np.zeros_like(m), offset=(5, 5)), "mask is empty")
    check(tiny_editor, tiny_source, dw.Move(mask=np.ones_like(m), offset=(5, 5)), "mask covers the whole image")
    check(tiny_editor, tiny_source, dw.Move(mask=m[:50], offset=(5, 5)), r"mask must have the image's size")
    check(tiny_editor, tiny_source, dw.Move(mask=m, offset=(150, 0)), "moves the object outside the image")
    check(tiny_editor, tiny_source, dw.Move(mask=m, offset=(0, 0), scale=3.5), "moves the object outside the image")
    check(tiny_editor, tiny_source, dw.Move(mask=m, offset=(0, 0)), "would change nothing")
    check(tiny_editor, tiny_source, dw.Move(mask=m, offset="far"), "offset must be a pair", TypeError)
    check(tiny_editor, tiny_source, dw.Move(mask=m, offset=(1, 1), scale=0), "scale must be between")


def test_drag_errors_name_the_argument(tiny_editor, tiny_source):
    check(tiny_editor, tiny_source, dw.Drag(points=[]), "points is empty")
    check(tiny_editor, tiny_source, dw.Drag(points=[((10, 10), (250, 10))]), r"points\[0\] target .* outside")
    check(tiny_editor, tiny_source, dw.Drag(points=[((10, -1), (20, 10))]), r"points\[0\] handle")
    check(tiny_editor, tiny_source, dw.Drag(points=[(10, 10)]), r"points\[0\] handle must be an \(x, y\) pair", TypeError)
    check(tiny_editor, tiny_source, dw.Drag(points=[(1, 2, 3)]), r"points\[0\] must be a pair", TypeError)


def test_reference_errors(tiny_editor, tiny_source, scene_image, m):
    img, _ = scene_image
    check(tiny_editor, tiny_source, dw.ReplaceAppearance(mask=m, reference=img, reference_mask=m[:10]),
          "reference_mask must have the image's size")
    check(tiny_editor, tiny_source, dw.Paste(reference="ref.png", reference_mask=m), "reference must be", TypeError)
    check(tiny_editor, tiny_source, dw.Paste(reference=img, reference_mask=m, offset=(0, 60)), "outside the image")


def test_wrong_types_for_source_and_edit(tiny_editor, tiny_source, m):
    with pytest.raises(TypeError, match="source must be a dw.Source"):
        tiny_editor.edit(np.zeros((10, 10, 3)), dw.Move(mask=m, offset=(1, 1)))
    with pytest.raises(TypeError, match="edit must be"):
        tiny_editor.edit(tiny_source, {"kind": "move"})


def test_edit_dicts_round_trip(scene_image, m):
    img, _ = scene_image
    for e in [dw.Move(mask=m, offset=(3, 4), scale=1.2), dw.Drag(points=[((1, 2), (3, 4))], mask=m, content=False),
              dw.Paste(reference=img, reference_mask=m, offset=(5, 6), scale=0.9, reference_prompt="x")]:
        d = e.to_dict()
        e2 = dw.edit_from_dict(d)
        assert type(e2) is type(e)
        for k, v in d.items():
            v2 = e2.to_dict()[k]
            assert np.array_equal(np.asarray(v, dtype=object if v is None else None), np.asarray(v2, dtype=object if v2 is None else None))
    with pytest.raises(ValueError, match="edit kind must be one of"):
        dw.edit_from_dict({"kind": "warp"})


def test_a_source_without_its_bank_or_a_broken_preset_is_refused(tiny_editor, tiny_source, m):
    import dataclasses

    with pytest.raises(ValueError, match="no memory bank"):
        tiny_editor.edit(dataclasses.replace(tiny_source, bank=None), dw.Move(mask=m, offset=(10, 0)))
    ed = dw.DragonEditor(tiny_editor.pipe, preset=tiny_editor.preset)
    ed.preset = ed.preset.replace(feature_layers=("up_blocks.1", "up_blocks.2", "up_blocks.3"))
    with pytest.raises(ValueError, match="layer_weights"):
        ed.edit(tiny_source, dw.Move(mask=m, offset=(10, 0)))
