"""Browser fixtures: Debian's chromium driven by Playwright (never a downloaded browser), and one Jupyter server per
front end for the whole session (``jupyter``: a jupyter_harness.ServerPool)."""

from __future__ import annotations

import os
import pathlib

import pytest

CHROMIUM = os.environ.get("DW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run", "--disable-quic",
]
ARTIFACTS = pathlib.Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium with apt-get")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def jupyter(tmp_path_factory):
    """The session's Jupyter servers, one per front end, started when a module first serves a notebook there."""
    from jupyter_harness import ServerPool

    with ServerPool(tmp_path_factory.mktemp("jupyter")) as pool:
        yield pool


@pytest.fixture
def artifacts(request) -> pathlib.Path:
    d = ARTIFACTS / request.node.name.replace("/", "_").replace("[", "_").replace("]", "")
    d.mkdir(parents=True, exist_ok=True)
    return d
