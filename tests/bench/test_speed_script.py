"""benchmarks/speed.py: the UNet calls it counts by kind match what the sampler runs, a repeated edit counts no
inversion, and the counted equivalents weigh each kind by its measured cost."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def speed():
    spec = importlib.util.spec_from_file_location("speed_script", ROOT / "benchmarks" / "speed.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop(spec.name, None)


def test_counted_equivalents_weigh_each_kind(speed):
    weights = {"full1": 0.5, "full2": 1.0, "features": 0.4, "guidance": 1.2}
    counts = {"full1": 10, "full2": 2, "features": 5, "guidance": 5}
    assert speed.counted_equivalents(counts, weights) == pytest.approx(5 + 2 + 2 + 6)


@pytest.mark.slow  # two short edits and an inversion on random weights
def test_calls_by_kind_for_a_first_and_a_repeated_edit(speed):
    import dragon_widgets as dw
    from dragon_widgets.engine.sampler import schedule_is_guided, schedule_rounds
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    pipe = random_embedded_pipeline(0)
    preset = speed.with_steps(dw.get_preset("embedded"), 6)
    ed = dw.DragonEditor(pipe, preset=preset, threads=1, inversions=dw.InversionCache())
    img = np.zeros((64, 64, 3), np.uint8)
    img[20:40, 20:40] = (250, 30, 30)
    mask = np.zeros((64, 64), bool)
    mask[20:40, 20:40] = True
    edit = dw.Move(mask=mask, offset=(8, 4))
    first = speed.timed_edit(ed, img, edit, "cpu")
    again = speed.timed_edit(ed, img, edit, "cpu")
    n = preset.num_steps
    guided = [i for i in range(n) if schedule_is_guided(preset, i)]
    rounds = {i: schedule_rounds(preset, i) for i in range(n)}
    assert max(rounds.values()) > 1  # the short schedule keeps a time-travel step
    # ε per step and round (CFG skipped: the prompt is the negative prompt), a re-noising between rounds
    edit_full = sum(2 * r - 1 for r in rounds.values())
    assert again["reused"] and not first["reused"]
    assert again["calls"] == {"full1": edit_full, "full2": 0, "features": len(guided),
                              "guidance": sum(rounds[i] for i in guided)}
    assert first["calls"]["full1"] == edit_full + n * (1 + preset.inversion_refine)
    assert first["first_preview_s"] is not None and first["preview_calls"]["full1"] == 1  # after the first step
    weights = speed.call_weights(ed, again["source"].bank.z_T, threads=1, rounds=1)
    assert set(weights) == set(speed.UNetCalls.KINDS) and weights["full2"] == 1.0
    assert all(w > 0 for w in weights.values())
