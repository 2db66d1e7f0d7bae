"""Torch's thread count from the free cores (engine/threads.py)."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import dragon_widgets as dw
from dragon_widgets.engine import threads as th


def test_threads_follow_the_free_cores_within_the_cap():
    assert th.threads_for(2.0, 2) == 2
    assert th.threads_for(1.75, 2) == 2  # a process using a quarter of a core does not cost a thread
    assert th.threads_for(1.6, 2) == 1  # one using 0.4 of a core does
    assert th.threads_for(0.0, 4) == 1  # never fewer than one
    assert th.threads_for(8.0, 3) == 3  # never more than the cap


def test_busy_elsewhere_leaves_this_process_out():
    before = th.Look(wall=0.0, busy=10.0, total=20.0, own=1.0)
    after = th.Look(wall=2.0, busy=13.0, total=24.0, own=2.0)  # 3 CPU-s busy, 1 of them ours, over 2 s
    assert th.busy_elsewhere(before, after) == pytest.approx(1.0)
    assert th.busy_elsewhere(after, after) is None


def test_the_chooser_gives_one_thread_when_another_process_holds_a_core(monkeypatch):
    import time

    t = time.monotonic()  # a look older than MAX_WINDOW_S is taken again
    looks = iter([th.Look(t, 0.0, 0.0, 0.0), th.Look(t + 1, 1.0, 2.0, 0.0),  # a whole core busy elsewhere
                  th.Look(t + 2, 1.0, 4.0, 0.0)])  # then nothing busy
    monkeypatch.setattr(th, "look", lambda: next(looks))
    monkeypatch.setattr(th, "usable_cores", lambda: 2)
    chooser = th.ThreadChooser(sample_s=0.0)
    chooser.prime()
    assert chooser.choose(cap=2) == 1 and chooser.last_choice["busy_elsewhere"] == pytest.approx(1.0)
    assert chooser.choose(cap=2) == 2


def test_usable_cores_respect_the_affinity():
    n = th.usable_cores()
    assert 1 <= n <= len(os.sched_getaffinity(0))


def test_run_threads_sets_and_restores_the_count():
    before = torch.get_num_threads()
    with th.run_threads(1) as n:
        assert n == 1 and torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with th.run_threads(None) as n:
        assert n == before
    with th.run_threads("auto") as n:
        assert 1 <= n <= before
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, "all"])
def test_bad_thread_counts_are_refused_by_name(bad):
    with pytest.raises(ValueError, match="threads"):
        th.check_threads(bad)


def test_the_editor_runs_with_its_thread_count_and_gives_torch_its_own_back(tiny_sd, sd_preset, scene_image):
    before = torch.get_num_threads()
    ed = dw.DragonEditor(tiny_sd, preset=sd_preset, threads=1, inversions=dw.InversionCache(max_entries=0))
    seen = []
    ed.invert(scene_image[0], on_step=lambda s, t, p: seen.append(torch.get_num_threads()))
    assert set(seen) == {1} and ed.threads_used == 1 and torch.get_num_threads() == before
    auto = dw.DragonEditor(tiny_sd, preset=sd_preset, inversions=dw.InversionCache(max_entries=0))
    auto.invert(np.asarray(scene_image[0]))
    assert 1 <= auto.threads_used <= before
