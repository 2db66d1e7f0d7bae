"""A 20-edit soak on the tiny model (tiny resolution, 6 steps, so it runs in the normal suite): resident memory
must not keep growing (≤ 5 MB per edit)."""

from __future__ import annotations

import gc
import os

import numpy as np
import pytest

import dragon_widgets as dw

EDITS = 20
MB_PER_EDIT = 5.0


def _rss_mb() -> float:
    """Current resident set size of this process in MB."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except OSError:  # not Linux
        import psutil

        return psutil.Process().memory_info().rss / 2 ** 20


@pytest.mark.slow  # runs by default (pyproject deselects nothing); ~1 min on a busy CPU
def test_twenty_edits_do_not_grow_resident_memory(tiny_editor, scene_image):
    img, m = scene_image
    quick = tiny_editor.preset.replace(resolution=64, num_steps=6, guided_until=4, dense_until=2, time_travel_steps=(3,),
                                       sde_window=(1, 3), ip_window=(1, 2))
    ed = dw.DragonEditor(tiny_editor.pipe, preset=quick)
    src = ed.invert(img, prompt="a red square")
    edits = [dw.Move(mask=m, offset=(40, 10)), dw.Drag(points=[((60, 45), (90, 50))], mask=m),
             dw.Move(mask=m, offset=(-20, 5), scale=1.2), dw.Landmark(points=[((60, 45), (70, 40))])]

    def run(i: int) -> None:
        res = ed.edit(src, edits[i % len(edits)], seed=i, record=(i % 5 == 0), on_step=lambda s, n, p: None)
        assert res.image.size == (200, 100) and np.asarray(res.image).std() > 0

    for i in range(3):  # warm-up: caches, allocator pools, lazily imported code
        run(i)
    gc.collect()
    before = _rss_mb()
    for i in range(EDITS):
        run(i)
    gc.collect()
    grown = _rss_mb() - before
    print(f"resident memory: {before:.1f} MB before, {grown:+.1f} MB after {EDITS} edits")
    assert grown <= MB_PER_EDIT * EDITS, f"resident memory grew {grown:.1f} MB over {EDITS} edits"
    assert grown / EDITS <= MB_PER_EDIT
