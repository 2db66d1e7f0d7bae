"""Exports for slides: figures at 16:9 slide sizes, and animations decoded back frame by frame."""

import re
import sys

import numpy as np
import pytest
from PIL import Image

import dragon_widgets as dw
from dragon_widgets import inspect as di


@pytest.fixture
def fig(trace):
    with di.presenter():
        return di.plot_energies(trace)


@pytest.mark.parametrize("size, dpi, pixels", [("full", 96, (1280, 720)), ("full", 144, (1920, 1080)),
                                               ("half", 100, (600, 590))])
def test_png_slides_have_the_slide_size(fig, tmp_path, size, dpi, pixels):
    before = tuple(fig.get_size_inches())
    path = dw.save_slide(fig, tmp_path / "e.png", size=size, dpi=dpi)
    assert Image.open(path).size == pixels
    assert tuple(fig.get_size_inches()) == before  # the notebook's figure keeps its size


def test_vector_slides_are_16_by_9(fig, tmp_path):
    svg = dw.save_slide(fig, tmp_path / "e.svg").read_text()
    assert re.search(r'width="960pt" height="540pt"', svg)
    pdf = di.save_slide(fig, tmp_path / "e.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and re.search(rb"/MediaBox \[\s*0 0 960 540\s*\]", pdf)


def test_slide_arguments_are_checked(fig, tmp_path):
    with pytest.raises(ValueError, match=r"\.png"):
        di.save_slide(fig, tmp_path / "e.jpg")
    with pytest.raises(ValueError, match="size"):
        di.save_slide(fig, tmp_path / "e.png", size="quarter")
    with pytest.raises(TypeError, match="Figure"):
        di.save_slide("not a figure", tmp_path / "e.png")
    assert di.slide_size((8, 4.5)) == (8.0, 4.5)


def test_gif_frames_decode_to_the_rendered_steps(trace, tmp_path):
    steps = [0, 2, 4, 7]
    want = list(di.animation_frames(trace, size=(640, 360), steps=steps))
    path = dw.save_animation(trace, tmp_path / "steps.gif", fps=5, size=(640, 360), steps=steps, hold_last=1.0)
    gif = Image.open(path)
    assert gif.n_frames == len(steps) and gif.size == (640, 360)
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        durations.append(gif.info["duration"])
        frame = np.asarray(gif.convert("RGB"), dtype=float)
        assert np.abs(frame - want[k]).mean() < 6  # a 255-colour palette of the same picture
    assert durations[:-1] == [200] * (len(steps) - 1) and durations[-1] == 1200
    assert not np.array_equal(want[0], want[1])  # the frames follow the steps


def test_mp4_is_h264_yuv420p_with_even_sides_and_decodes_back(trace, tmp_path):
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg", reason="the [export] extra (imageio-ffmpeg) is needed")
    steps = [0, 3, 6]
    want = list(di.animation_frames(trace, size=(640, 360), steps=steps))
    path = dw.save_animation(trace, tmp_path / "steps.mp4", fps=2, size=(641, 361), steps=steps, hold_last=1.0)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p") and meta["size"] == (640, 360)
    frames = [np.frombuffer(f, np.uint8).reshape(360, 640, 3) for f in reader]
    assert len(frames) == len(steps) + 2  # hold_last 1 s at 2 fps: the last frame twice more
    psnr = lambda a, b: 10 * np.log10(255 ** 2 / np.mean((a.astype(float) - b) ** 2))
    for k, w in enumerate(want):  # the same picture through H.264 (the synthetic x̂₀ is pure noise: the worst case)
        assert psnr(frames[k], w) > 22, k
        assert k == int(np.argmax([psnr(frames[k], other) for other in want]))
    np.testing.assert_array_equal(frames[-1], frames[-2])


def test_mp4_without_imageio_ffmpeg_says_what_to_install(trace, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "imageio_ffmpeg", None)
    with pytest.raises(ModuleNotFoundError, match=r"dragon_widgets\[export\]"):
        dw.save_animation(trace, tmp_path / "steps.mp4")
    assert not (tmp_path / "steps.mp4").exists()


def test_animation_arguments_are_checked(trace, tmp_path):
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        dw.save_animation(trace, tmp_path / "steps.avi")
    with pytest.raises(ValueError, match="fps"):
        dw.save_animation(trace, tmp_path / "steps.gif", fps=0)
    with pytest.raises(ValueError, match="size"):
        dw.save_animation(trace, tmp_path / "steps.gif", size=(10, 10))
    with pytest.raises(ValueError, match="step"):
        dw.save_animation(trace, tmp_path / "steps.gif", steps=[99])
    with pytest.raises(ValueError, match="term"):
        dw.save_animation(trace, tmp_path / "steps.gif", term="nope")
