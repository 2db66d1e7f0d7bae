"""Box → mask: the weight-free colour segmenter on scenes with ground truth, and the SAM hook wiring."""

from __future__ import annotations

import numpy as np
import pytest

from dragon_widgets.widgets import DragCanvas, box_to_mask
from dragon_widgets.widgets._scene import builtin_scene, builtin_shape_masks


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max((a | b).sum(), 1))


def _box_of(mask: np.ndarray, pad: int = 2) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return xs.min() - pad, ys.min() - pad, xs.max() + 1 + pad, ys.max() + 1 + pad


@pytest.mark.parametrize("res", [64, 256])
def test_colour_segmenter_finds_the_boxed_shape(res):
    from dragon_widgets.core import scenes

    rng = np.random.default_rng(5)
    ious = []
    for _ in range(6):
        scene = scenes.sample_scene(rng, n_shapes=2)
        img, masks = scenes.render(scene, res)
        img = scenes.to_uint8(img)
        for m in masks:
            gt = m > 0.5
            if gt.sum() < 20:
                continue
            ious.append(_iou(box_to_mask(img, _box_of(gt)), gt))
    assert np.median(ious) > 0.8, ious
    assert min(ious) > 0.4, ious


def test_colour_segmenter_edge_cases():
    img = np.full((32, 32, 3), 100, np.uint8)  # nothing to separate: the filled box comes back
    m = box_to_mask(img, (4, 5, 20, 25))
    assert m[5:25, 4:20].all() and m.sum() == 16 * 20
    whole = box_to_mask(builtin_scene()[0], (0, 0, 64, 64))  # a box covering everything still works
    assert whole.shape == (64, 64) and whole.any()
    with pytest.raises(ValueError, match="box must be"):
        box_to_mask(img, (1, 2, 3))


def test_canvas_box_adds_the_object_to_the_mask_from_a_front_end_box():
    from widget_fakes import front_end_update

    img, _ = builtin_scene()
    gt = builtin_shape_masks()[0]
    c = DragCanvas(img, box_to_mask=True)
    assert c.box_masking and c.get_state()["box_masking"] is True  # the page folds the mask into the box's undo step
    front_end_update(c, {"boxes": [list(map(float, _box_of(gt)))]})
    assert _iou(c.mask, gt) > 0.7
    c.clear()
    c.set_box_to_mask(False)
    assert not c.box_masking
    c.add_box(_box_of(gt))
    assert not c.mask.any()
    front_end_update(c, {"box_masking": True})  # the page cannot turn it on
    assert not c.box_masking and c.error.startswith("Ignored an invalid update")
    assert not DragCanvas(img).box_masking


def test_a_failing_masker_reports_and_keeps_the_drawing():
    img, _ = builtin_scene()

    def broken(_image, _box):
        raise RuntimeError("no weights")

    c = DragCanvas(img, box_to_mask=broken)
    c.mask = builtin_shape_masks()[1]
    c.add_box((2, 2, 20, 20))
    assert c.error.startswith("Box → mask failed: no weights")
    assert np.array_equal(c.mask, builtin_shape_masks()[1]) and c.boxes == [[2.0, 2.0, 20.0, 20.0]]


def test_sam_hook_with_a_tiny_random_sam():
    """The transformers SAM path end to end (random weights: only shapes and wiring are checked)."""
    torch = pytest.importorskip("torch")
    from transformers import SamConfig, SamImageProcessor, SamModel, SamProcessor
    from transformers.models.sam.configuration_sam import (
        SamMaskDecoderConfig, SamPromptEncoderConfig, SamVisionConfig)

    from dragon_widgets.widgets import sam_box_masker

    vc = SamVisionConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, output_channels=32,
                         image_size=256, patch_size=16, mlp_dim=64, global_attn_indexes=[0], window_size=4,
                         num_pos_feats=16)
    pc = SamPromptEncoderConfig(hidden_size=32, image_size=256, patch_size=16, mask_input_channels=4)
    mc = SamMaskDecoderConfig(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, mlp_dim=64,
                              iou_head_hidden_dim=32)
    torch.manual_seed(0)
    model = SamModel(SamConfig(vision_config=vc.to_dict(), prompt_encoder_config=pc.to_dict(),
                               mask_decoder_config=mc.to_dict()))
    proc = SamProcessor(SamImageProcessor(size={"longest_edge": 256}, pad_size={"height": 256, "width": 256}))
    masker = sam_box_masker(model, processor=proc)
    img = np.zeros((64, 48, 3), np.uint8)
    c = DragCanvas(img, box_to_mask=masker)
    c.add_box((4, 4, 30, 40))
    assert c.error == "" and c.mask.shape == (64, 48)
    with pytest.raises(ValueError, match="processor is required"):
        sam_box_masker(model)


def _scene_with_bar():
    """A flat background with a long red bar crossing x = 10..50 and a small blue square well inside."""
    img = np.full((64, 64, 3), (230, 220, 200), np.uint8)
    bar = np.zeros((64, 64), bool)
    bar[28:36, 10:50] = True
    img[bar] = (200, 30, 30)
    sq = np.zeros((64, 64), bool)
    sq[10:20, 40:50] = True
    img[sq] = (30, 60, 200)
    return img, bar, sq


def test_a_box_that_cuts_the_object_says_so_and_a_box_around_it_does_not():
    from dragon_widgets.widgets.box_mask import box_mask_note, clipped_sides

    img, bar, sq = _scene_with_bar()
    cut_box = (4, 22, 30, 42)  # the bar leaves the box through its right edge
    m = box_to_mask(img, cut_box)  # the segmenter sees red on both sides of the box and gives up: the whole box
    assert m[28:36, 12:30].all()
    assert clipped_sides(img, m, cut_box) == {"right": 8}  # the object runs across the right edge for 8 px
    note = box_mask_note(img, m, cut_box)
    assert note is not None and "continue beyond the box's right edge" in note and "8 px" in note
    cut_mask = bar.copy()
    cut_mask[:, 30:] = False  # a masker that found exactly the part inside (e.g. SAM): the same warning
    assert clipped_sides(img, cut_mask, cut_box) == {"right": 8}
    assert "its mask is cut there" in box_mask_note(img, cut_mask, cut_box)
    # must fail: the whole bar boxed, the square boxed tightly (touching its edges), the square boxed loosely
    for box in ((6, 24, 54, 40), (40, 10, 50, 20), (36, 6, 54, 24)):
        mask = box_to_mask(img, box)
        assert box_mask_note(img, mask, box) is None, box
        assert clipped_sides(img, mask, box) == {}
    # a box on the image border cannot cut anything beyond it
    edge = (0, 22, 30, 42)
    assert "right" in clipped_sides(img, box_to_mask(img, edge), edge)
    assert clipped_sides(img, bar, (0, 0, 64, 64)) == {}


def test_a_box_whose_mask_is_the_whole_box_says_so():
    from dragon_widgets.widgets.box_mask import box_mask_note

    flat = np.full((32, 32, 3), 100, np.uint8)
    m = box_to_mask(flat, (4, 5, 20, 25))
    assert m[5:25, 4:20].all()
    assert "kept the whole box" in box_mask_note(flat, m, (4, 5, 20, 25))
    with pytest.raises(ValueError, match="mask must have the image's shape"):
        from dragon_widgets.widgets.box_mask import clipped_sides

        clipped_sides(flat, m[:10], (4, 5, 20, 25))


def test_the_canvas_and_the_app_show_the_box_note():
    from widget_fakes import front_end_update

    img, _bar, sq = _scene_with_bar()
    c = DragCanvas(img, box_to_mask=True)
    front_end_update(c, {"boxes": [[4.0, 22.0, 30.0, 42.0]]})
    assert "continue beyond the box's right edge" in c.box_note and c.mask.any()
    front_end_update(c, {"boxes": [[4.0, 22.0, 30.0, 42.0], [36.0, 6.0, 54.0, 24.0]]})
    assert c.box_note == "" and c.mask[sq].all()  # a good box clears the note

    from dragon_widgets.widgets import EditorApp

    app = EditorApp(img)
    front_end_update(app.canvas, {"boxes": [[4.0, 22.0, 30.0, 42.0]]})
    assert "continue beyond the box's right edge" in app.status_text
    assert "dw-status-warning" in app.status.value
    app._set_status("Ready.")
    front_end_update(app.canvas, {"boxes": [[4.0, 22.0, 30.0, 42.0], [4.0, 22.0, 31.0, 42.0]]})
    assert "continue beyond" in app.status_text  # the same note again is shown again


def test_box_notes_on_random_scenes_flag_cut_boxes_and_not_loose_ones():
    from dragon_widgets.core import scenes
    from dragon_widgets.widgets.box_mask import box_mask_note

    rng = np.random.default_rng(11)
    loose, cut = [], []
    for _ in range(8):
        img, masks = scenes.render(scenes.sample_scene(rng, n_shapes=2), 64)
        img = scenes.to_uint8(img)
        for m in masks:
            gt = m > 0.5
            if gt.sum() < 20:
                continue
            box = _box_of(gt)
            loose.append(box_mask_note(img, box_to_mask(img, box), box))
            half = (box[0], box[1], (box[0] + box[2]) // 2, box[3])  # the object's right half left out
            cut.append(box_mask_note(img, box_to_mask(img, half), half))
    assert len(loose) >= 10
    assert sum(n is None for n in loose) >= 0.9 * len(loose), loose
    assert sum(n is not None for n in cut) >= 0.9 * len(cut), cut
