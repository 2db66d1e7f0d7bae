import numpy as np
import pytest
import torch

from dragon_widgets.bench.baseline import NaiveBaseline, _paste
from dragon_widgets.bench.metrics import score
from dragon_widgets.bench.tasks import KINDS, make_task


@pytest.fixture(scope="module")
def baseline(tiny_pipe):
    # one thread: a tiny model gains nothing from more, and oversubscribed cores make OpenMP crawl
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield NaiveBaseline(tiny_pipe, steps=2)
    torch.set_num_threads(n)


def test_codec_round_trip(baseline):
    t = make_task("move", "test", 0)
    z = baseline.encode(t.source_image)
    assert z.shape == (1, 12, 32, 32)
    assert np.array_equal(baseline.decode(z), t.source_image)  # the pixel-unshuffle codec is lossless


@pytest.mark.parametrize("kind", KINDS)
def test_baseline_runs_every_kind(baseline, kind):
    t = make_task(kind, "test", 0)
    out, sec = baseline.run(t)
    assert out.dtype == np.uint8 and out.shape == (64, 64, 3)
    assert sec > 0
    s = score(out, t, sec)
    assert 0.0 <= s.iou <= 1.0


def test_reconstruct_shape(baseline):
    t = make_task("move", "test", 1)
    rec = baseline.reconstruct(t.source_image)
    assert rec.shape == (64, 64, 3) and rec.dtype == np.uint8


def test_latent_paste_moves_the_object_cells():
    z = torch.zeros(1, 1, 32, 32)
    z[..., 10:14, 10:14] = 1.0
    mask = np.zeros((64, 64), bool)
    mask[20:28, 20:28] = True
    out = _paste(z, z, mask, 64, 2, center=(23.5, 23.5), offset=(16, -8), scale=1.0)
    assert out[..., 6:10, 18:22].eq(1).all()  # landed 8 cells right, 4 cells up
    assert out[..., 10:14, 10:14].eq(1).all()  # the naive copy leaves the source in place
    big = _paste(z, z, mask, 64, 2, center=(23.5, 23.5), offset=(0, 0), scale=1.5)
    assert big.sum() > out[..., 10:14, 10:14].sum() * 1.8
