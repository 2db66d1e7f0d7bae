"""The method beats the naive baseline on a handful of ShapesBench scenes (trained embedded model).

Marked ``embedded`` + ``slow``: see tests/bench/conftest.py for what happens when the weights are missing.
"""

import numpy as np
import pytest

from dragon_widgets.bench import runner
from dragon_widgets.bench.tasks import make_tasks

pytestmark = [pytest.mark.embedded, pytest.mark.slow]


@pytest.fixture(scope="module")
def pipe(embedded_path):
    # threads: torch's default (all cores); on a busy machine OMP_NUM_THREADS=1 is much faster
    return runner.load_pipe(embedded_path)


def test_method_beats_baseline_on_moves(pipe):
    tasks = make_tasks("test-v1", 3, kinds=("move",))  # the scenes the shipped v1 weights were trained on
    method = runner.run_tasks(runner.EngineMethod(pipe, preset="embedded"), tasks)
    base = runner.run_tasks(runner.BaselineMethod(pipe, steps=method_steps(pipe)), tasks)
    assert not method.errors, method.errors
    m, b = method.summary()["move"], base.summary()["move"]

    def quality(s):  # object where it should be, and gone from where it was
        return s["iou"] - np.nan_to_num(s["ghost"])

    beats = m["success"] > b["success"] or (m["success"] == b["success"] and quality(m) > quality(b) + 0.1)
    assert beats, f"method {m} does not beat baseline {b}"
    assert m["iou"] > b["iou"] - 0.05, (m, b)


def method_steps(pipe) -> int:
    return runner.EngineMethod(pipe, preset="embedded").editor.preset.num_steps
