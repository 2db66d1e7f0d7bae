"""Test tiers: every test under ``tests/browser/`` is marked ``browser`` here, by its folder, so that
``-m "not browser"`` leaves out the browser tests whatever their module declares. The other markers (``slow``,
``notebooks``, ``embedded``) are set by the tests themselves; all are listed in pyproject.toml and explained in
docs/testing.md."""

from __future__ import annotations

from pathlib import Path

import pytest

BROWSER = Path(__file__).resolve().parent / "browser"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if BROWSER in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.browser)
