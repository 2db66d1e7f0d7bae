"""Image files from the page: chunked binary custom messages → the canvas (or the app), size-limited, decoded by
the engine's normaliser; bad files leave the image as it was and say why."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from dragon_widgets.widgets import DragCanvas
from dragon_widgets.widgets._upload import (CHUNK_BYTES, MAX_UPLOAD_BYTES, UploadAssembler, UploadError,
                                            decode_image_file)

from widget_fakes import RecordingComm, attach, custom_sent, front_end_custom


def _png(w: int = 40, h: int = 24, mode: str = "RGB", **save: object) -> bytes:
    rng = np.random.default_rng(w * 1000 + h)
    img = Image.fromarray(rng.integers(0, 255, (h, w, 3), dtype=np.uint8)).convert(mode)
    buf = io.BytesIO()
    img.save(buf, format=save.pop("format", "PNG"), **save)
    return buf.getvalue()


def _send_file(widget, data: bytes, name: str = "photo.png", chunk: int = CHUNK_BYTES, uid: str = "u1") -> None:
    parts = [data[i:i + chunk] for i in range(0, len(data), chunk)] or [b""]
    for i, part in enumerate(parts):
        front_end_custom(widget, {"type": "upload", "id": uid, "index": i, "count": len(parts), "name": name,
                                  "size": len(data)}, [part])


def test_a_dropped_png_in_chunks_becomes_the_canvas_image_and_the_drawing_resets():
    c = DragCanvas(np.zeros((16, 16, 3), np.uint8))
    comm = attach(c, RecordingComm())
    c.mask = np.ones((16, 16), bool)
    c.arrow = [[1, 1], [5, 5]]
    data = _png(40, 24)
    _send_file(c, data, chunk=1000)  # several chunks, put back together in order
    assert c.size == (40, 24)
    assert np.array_equal(c.image_array, np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
    assert not c.mask.any() and c.arrow is None and c.error == ""
    assert custom_sent(comm)[-1] == {"type": "upload-result", "id": "u1", "ok": True, "message": ""}


def test_the_normaliser_converts_alpha_over_white_and_exif_orientation():
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[..., 0] = 200  # fully transparent red → white
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, format="PNG")
    assert (decode_image_file(buf.getvalue(), "a.png") == 255).all()
    img = Image.new("RGB", (30, 10), (10, 20, 30))
    exif = img.getexif()
    exif[0x0112] = 6  # rotated 90°: shown 10 wide, 30 tall
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif)
    assert decode_image_file(buf.getvalue(), "phone.jpg").shape == (30, 10, 3)


@pytest.mark.parametrize("data, expect", [
    (b"this is not an image", "not an image"),
    (_png()[:60], "truncated or corrupt"),
    (b"", "empty"),
    (_png(4, 4), "too small"),
])
def test_bad_files_keep_the_image_and_say_why(data, expect):
    img = np.full((16, 16, 3), 7, np.uint8)
    c = DragCanvas(img)
    comm = attach(c, RecordingComm())
    c.mask = np.eye(16, dtype=bool)
    _send_file(c, data, name="bad.png")
    assert np.array_equal(c.image_array, img) and c.mask.any()  # nothing lost
    assert expect in c.error and "bad.png" in c.error
    reply = custom_sent(comm)[-1]
    assert reply["ok"] is False and reply["message"] == c.error


def test_a_file_above_the_limit_is_refused_before_it_is_collected():
    c = DragCanvas(np.zeros((16, 16, 3), np.uint8))
    comm = attach(c, RecordingComm())
    front_end_custom(c, {"type": "upload", "id": "big", "index": 0, "count": 11, "name": "huge.tif",
                         "size": MAX_UPLOAD_BYTES + 1}, [b"x" * 10])
    assert "huge.tif" in c.error and "20.0 MB" in c.error and c.size == (16, 16)
    assert custom_sent(comm)[-1]["ok"] is False
    assert c.max_upload_bytes == MAX_UPLOAD_BYTES and c.upload_chunk_bytes == CHUNK_BYTES < 10 * 1024 * 1024


def test_chunks_that_lie_about_their_size_are_refused():
    asm = UploadAssembler(limit=100)
    with pytest.raises(UploadError, match="up to"):  # more bytes arrive than the limit allows
        for i in range(3):
            asm.add({"id": "a", "index": i, "count": 3, "name": "x.png", "size": 90}, [b"y" * 40])
    with pytest.raises(UploadError, match="malformed"):
        asm.add({"id": "b", "index": "zero"}, [b""])
    with pytest.raises(UploadError, match="damaged"):
        asm.add({"id": "c", "index": 0, "count": 1, "name": "x.png", "size": 5}, [])
    with pytest.raises(UploadError, match="incomplete"):
        asm.add({"id": "d", "index": 0, "count": 1, "name": "x.png", "size": 9}, [b"abc"])


def test_other_custom_messages_are_ignored_and_a_custom_handler_gets_the_bytes():
    c = DragCanvas(np.zeros((16, 16, 3), np.uint8))
    attach(c, RecordingComm())
    front_end_custom(c, {"type": "something-else"}, [b"zz"])
    got = []
    c.on_upload(lambda data, name: got.append((name, len(data))))
    data = _png(20, 20)
    _send_file(c, data, name="mine.png")
    assert got == [("mine.png", len(data))] and c.size == (16, 16)
    with pytest.raises(TypeError, match="handler"):
        c.on_upload("not callable")
