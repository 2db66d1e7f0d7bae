"""Fixtures shared by the widget tests that run the real engine."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def pipe():
    """The embedded model's pipeline with random weights (seed 0), built once per test module; torch runs on
    one thread meanwhile (a tiny model: more threads only spin on a shared machine)."""
    torch = pytest.importorskip("torch")
    from dragon_widgets.models.random_sd import random_embedded_pipeline

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield random_embedded_pipeline(0)
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def fast():
    """A 6-step embedded preset for app runs on the tiny pipeline (a module may define its own ``fast``)."""
    from dragon_widgets.engine import get_preset

    return get_preset("embedded").replace(name="test-fast", num_steps=6, guided_until=4, dense_until=2,
                                          time_travel_steps=(), sde_window=(2, 3), ip_window=(2, 3), preview_every=1)
