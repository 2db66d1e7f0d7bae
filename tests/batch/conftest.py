"""Fixtures of the batch tests: the embedded model (loaded once), a preset short enough for a loaded CPU, and a
synthetic DragBench folder made of ShapesBench drags (ground truth known) plus one sample with a hostile pickle."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import pytest

#: The embedded preset on 8 DDIM steps (the schedule's windows scaled down), as `--set` values.
SHORT = {"num_steps": 8, "guided_until": 4, "dense_until": 2, "time_travel_steps": [3], "time_travel_rounds": 1,
         "sde_window": [1, 3], "ip_window": [1, 3]}


def set_args(changes: dict = SHORT) -> list[str]:
    """``changes`` as ``--set KEY=VALUE`` command-line arguments."""
    import json

    out = []
    for k, v in changes.items():
        out += ["--set", f"{k}={json.dumps(v)}"]
    return out


class Hostile:
    """Unpickled by pickle.load, this would create ``marker``."""

    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.fixture(scope="session")
def embedded_pipe():
    import dragon_widgets as dw

    return dw.load_pipeline()


def make_dragbench(root: Path, n: int = 2, hostile: bool = True) -> Path:
    """``n`` ShapesBench drags exported in DragBench's layout under ``root``, and (``hostile``) one more sample
    whose meta_data.pkl would run a command; its marker file is ``root/../pwned``."""
    from dragon_widgets.bench.dragbench import export_shapesbench, write_sample

    folders = export_shapesbench(root, "test", n, ("drag",))
    if hostile:
        bad = root / "shapes_drag" / "zz-hostile"
        write_sample(bad, __import__("numpy").zeros((64, 64, 3), "uint8"), "x", [((5, 5), (9, 9))])
        marker = root.parent / "pwned"
        (bad / "meta_data.pkl").write_bytes(pickle.dumps({"prompt": "x", "points": [(5, 5), (9, 9)],
                                                          "mask": Hostile(str(marker))}))
        folders.append(bad)
    return root


@pytest.fixture(scope="session")
def short() -> dict:
    """:data:`SHORT` (a fresh copy)."""
    return dict(SHORT)


@pytest.fixture(scope="session")
def short_args() -> list[str]:
    """:data:`SHORT` as ``--set`` arguments."""
    return set_args(SHORT)


@pytest.fixture(scope="session")
def dragbench_factory():
    """:func:`make_dragbench`."""
    return make_dragbench
