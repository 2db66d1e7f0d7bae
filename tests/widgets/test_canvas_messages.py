"""DragCanvas ↔ front end: every trait the page writes, binary round trips, malformed messages."""

from __future__ import annotations

import numpy as np
import pytest
import traitlets
from PIL import Image
from ipywidgets.widgets.widget import _remove_buffers

from dragon_widgets.widgets import DragCanvas
from dragon_widgets.widgets.canvas import FRONTEND_WRITABLE

from widget_fakes import RecordingComm, attach, front_end_update


def _canvas(w: int = 48, h: int = 32) -> DragCanvas:
    img = np.zeros((h, w, 3), np.uint8)
    img[..., 0] = np.arange(w, dtype=np.uint8)[None, :] * 4
    return DragCanvas(img)


def test_image_and_masks_travel_as_binary_buffers():
    c = _canvas()
    _state, paths, buffers = _remove_buffers(c.get_state())
    assert ["image_data"] in paths and ["mask_data"] in paths and ["region_data"] in paths
    assert all(isinstance(b, (bytes, memoryview, bytearray)) for b in buffers)
    assert bytes(c.image_data[:8]) == b"\x89PNG\r\n\x1a\n"  # encoded PNG, not base64 text


def test_mask_roundtrip_from_memoryview_buffer():
    c = _canvas()
    m = np.zeros((32, 48), np.uint8)
    m[5:10, 7:20] = 1
    front_end_update(c, {"mask_data": m.tobytes(), "points": [[[1, 2], [3, 4]]]})
    assert c.mask.dtype == bool and c.mask.shape == (32, 48)
    assert np.array_equal(c.mask, m.astype(bool))
    # the other trait of the same update was not dropped with it (the Bytes/memoryview pitfall)
    assert c.points == [[[1.0, 2.0], [3.0, 4.0]]]
    assert c.error == ""


def test_region_roundtrip_and_nonbinary_values_normalised():
    c = _canvas()
    r = np.zeros((32, 48), np.uint8)
    r[0, :10] = 255
    front_end_update(c, {"region_data": r.tobytes()})
    assert c.region.sum() == 10
    assert set(np.frombuffer(c.region_data, np.uint8).tolist()) <= {0, 1}


@pytest.mark.parametrize(
    "state",
    [
        {"points": [[[0, 0], [47.5, 31.5]], [[10, 10], [12, 11]]]},
        {"boxes": [[30, 20, 4, 2]]},
        {"arrow": [[1, 1], [40, 30]]},
        {"arrow": None},
        {"tool": "points"},
        {"brush_size": 9},
        {"overlay_opacity": 0.8},
    ],
)
def test_every_writable_trait_accepts_a_front_end_update(state):
    c = _canvas()
    front_end_update(c, state)
    (name, value), = state.items()
    got = getattr(c, name)
    if name == "boxes":
        assert got == [[4.0, 2.0, 30.0, 20.0]]  # corners normalised
    elif name == "points":  # on a pixel: the far edge is clamped to the last pixel (47, 31), as the engine expects
        assert got == [[[0.0, 0.0], [47.0, 31.0]], [[10.0, 10.0], [12.0, 11.0]]]
    elif name == "arrow" and value is not None:
        assert got == [[1.0, 1.0], [40.0, 30.0]] and c.offset == (39.0, 29.0)
    else:
        assert got == value
    assert c.error == ""


def test_writable_set_is_exactly_the_drawing_and_tool_traits():
    assert FRONTEND_WRITABLE == {
        "mask_data", "region_data", "points", "boxes", "arrow", "tool", "brush_size", "overlay_opacity"
    }


GARBAGE = [
    {"mask_data": b"\x01" * 7},  # wrong size
    {"mask_data": b"\x01" * (48 * 32 + 1)},
    {"region_data": b""},
    {"points": "garbage"},
    {"points": [[[1, 2]]]},  # handle without target
    {"points": [[[1, 2], [3, "x"]]]},
    {"points": [[[1, 2], [300, 4]]]},  # outside the image
    {"points": [[[1, 2], [float("nan"), 4]]]},
    {"boxes": [[1, 2, 3]]},
    {"boxes": {"a": 1}},
    {"arrow": [[1, 2]]},
    {"arrow": 5},
    {"tool": "lasso"},
    {"brush_size": 0},
    {"overlay_opacity": 3.0},
    {"image_data": b"not a png"},  # the page may not change the image
    {"width": 5},
    {"mask_data": np.ones(48 * 32, np.uint8).tobytes(), "points": [[[1, 2]]]},  # one bad trait spoils all
]


@pytest.mark.parametrize("state", GARBAGE, ids=[str(list(s)) + str(i) for i, s in enumerate(GARBAGE)])
def test_malformed_update_is_rejected_without_losing_state(state):
    c = _canvas()
    m = np.zeros((32, 48), bool)
    m[1:4, 1:4] = True
    c.mask = m
    c.add_point((2, 3), (10, 11))
    c.boxes = [[1, 1, 9, 9]]
    c.arrow = [[0, 0], [5, 5]]
    before = {k: getattr(c, k) for k in ("mask_data", "region_data", "points", "boxes", "arrow", "tool",
                                         "brush_size", "overlay_opacity", "image_data", "width")}
    comm = attach(c, RecordingComm())
    front_end_update(c, state)  # must not raise
    after = {k: getattr(c, k) for k in before}
    assert after == before
    assert c.error.startswith("Ignored an invalid update")
    # the page is told the real state again
    resent = comm.updates()
    assert resent, "no state pushed back to the page"
    keys = set().union(*[u.keys() for u in resent])
    assert "error" in keys
    for k in state:
        if k in before:
            assert k in keys
    # and a following good update is accepted and clears the error
    front_end_update(c, {"tool": "eraser"})
    assert c.tool == "eraser" and c.error == ""


def test_python_updates_reach_the_page_as_binary():
    c = _canvas()
    comm = attach(c, RecordingComm())
    m = np.zeros((32, 48), bool)
    m[0, 0] = True
    c.mask = m
    c.add_point((1, 1), (2, 2))
    ups = comm.updates()
    mask_up = [u for u in ups if "mask_data" in u][-1]
    assert isinstance(mask_up["mask_data"], (bytes, memoryview))
    assert bytes(mask_up["mask_data"])[0] == 1 and len(bytes(mask_up["mask_data"])) == 48 * 32
    assert [u for u in ups if "points" in u][-1]["points"] == [[[1.0, 1.0], [2.0, 2.0]]]


def test_python_setters_validate_with_clear_messages():
    c = _canvas()
    with pytest.raises(ValueError, match=r"mask must have the image.s size \(H, W\) = \(32, 48\)"):
        c.mask = np.zeros((10, 10), bool)
    with pytest.raises(TypeError, match="mask must be"):
        c.mask = "x"
    with pytest.raises(traitlets.TraitError, match="outside the 48×32 image"):
        c.add_point((1, 1), (100, 1))
    with pytest.raises(TypeError, match="unexpected keyword"):
        DragCanvas(np.zeros((4, 4, 3), np.uint8), colour="red")
    with pytest.raises(TypeError, match="image must be a PIL.Image or a numpy array"):
        DragCanvas("cat.png")


def test_set_image_keeps_drawing_at_same_size_and_resets_otherwise():
    c = _canvas()
    c.add_point((1, 1), (2, 2))
    c.set_image(np.full((32, 48, 3), 7, np.uint8))
    assert c.points == [[[1.0, 1.0], [2.0, 2.0]]]
    c.set_image(np.zeros((16, 16, 3), np.uint8))
    assert c.points == [] and c.mask.shape == (16, 16) and not c.mask.any()


def test_pil_and_grayscale_inputs():
    from PIL import Image

    c = DragCanvas(Image.new("L", (20, 10), 128))
    assert c.size == (20, 10) and c.image.mode == "RGB"
    c.mask = Image.new("L", (20, 10), 255)
    assert c.mask.all()


def test_new_view_gets_the_same_state():
    """A re-rendered or reloaded view is built from get_state(): everything drawn is in it."""
    c = _canvas()
    m = np.zeros((32, 48), bool)
    m[3, 3] = True
    c.mask = m
    c.add_point((1, 1), (2, 2))
    c.boxes = [[1, 1, 5, 5]]
    c.arrow = [[1, 1], [3, 3]]
    state = c.get_state()
    assert bytes(state["mask_data"]) == m.astype(np.uint8).tobytes()
    assert state["points"] == c.points and state["boxes"] == c.boxes and state["arrow"] == c.arrow
    assert state["width"] == 48 and state["height"] == 32


def test_clear_removes_drawing_only():
    c = _canvas()
    c.mask = np.ones((32, 48), bool)
    c.add_point((1, 1), (2, 2))
    img = c.image_data
    c.clear()
    assert not c.mask.any() and c.points == [] and c.arrow is None and c.image_data == img


def test_compare_view_position_from_the_page_and_binary_images():
    from dragon_widgets.widgets import CompareView

    v = CompareView(np.zeros((8, 10, 3), np.uint8), np.full((4, 5, 3), 255, np.uint8))
    _s, paths, _b = _remove_buffers(v.get_state())
    assert ["before_data"] in paths and ["after_data"] in paths
    assert (v.width, v.height) == (10, 8)
    front_end_update(v, {"position": 0.25})
    assert v.position == 0.25
    front_end_update(v, {"position": 7})  # clamped, never an error
    assert v.position == 1.0


def test_canvas_converts_images_as_the_engine_does_exif_and_alpha():
    from PIL import Image

    from dragon_widgets.core.images import to_rgb_array

    rgba = np.zeros((16, 24, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[:, :12, 3] = 255  # left half opaque red, right half transparent
    img = Image.fromarray(rgba, "RGBA")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise on display
    rotated = Image.fromarray(rgba[..., :3].copy())
    import io

    buf = io.BytesIO()
    rotated.save(buf, format="PNG", exif=exif.tobytes())
    from_file = Image.open(io.BytesIO(buf.getvalue()))
    for im in (img, from_file):
        c = DragCanvas(im)
        assert np.array_equal(c.image_array, to_rgb_array(im))
    assert DragCanvas(img).image_array[0, -1].tolist() == [255, 255, 255]  # transparent → white, as the engine
    assert DragCanvas(from_file).size == (16, 24)  # (W, H) after the EXIF rotation


def test_a_mask_of_another_size_is_refused_even_with_the_same_aspect():
    c = _canvas()  # 48×32
    c.mask = np.ones((32, 48), bool)
    for bad in (np.zeros((16, 24), bool), np.zeros((48, 72), bool), Image.new("L", (24, 16), 255)):
        with pytest.raises(ValueError, match=r"mask must have the image.s size \(H, W\) = \(32, 48\), got"):
            c.mask = bad
        with pytest.raises(ValueError, match=r"region must have the image.s size"):
            c.region = bad
    assert c.mask.all() and not c.region.any()  # nothing changed
    c.mask = np.zeros((64, 96), bool)  # a whole multiple: drawn on the full-size picture this one was reduced from
    assert not c.mask.any()
