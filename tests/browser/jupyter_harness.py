"""Real Jupyter front ends for the browser tests: one server per front end, notebooks opened and run in a browser.

Shared by every browser test that opens a notebook (the editor, the inspector, the panels). The front ends:
JupyterLab 4 and Notebook 7 from the test venv, and the ipywidgets 7 ones (Colab's generation), each from its own
venv built by scripts/test.sh: classic Notebook 6.5 with ipywidgets 7.7.1 and with 7.8.5, JupyterLab 3.6 with 7.8.5.

A :class:`ServerPool` (the session-scoped ``jupyter`` fixture of conftest.py) starts each front end's server the
first time a test asks for it and stops them all at the end of the session, so a whole run starts five servers.
Each test module serves its own notebook on them (:func:`serve_notebook`, a file name of its own; JupyterLab
opens it in a workspace of its own) and shuts that notebook's kernels down when it is done.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import pathlib
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

REPO = pathlib.Path(__file__).resolve().parents[2]
IPYW7_NAMES = ("classic-7.7", "classic-7.8", "lab-3.6")


@dataclasses.dataclass(frozen=True)
class FrontEnd:
    """One front end: ``name`` (test id), ``app`` (``lab`` or ``notebook``), ``python`` (its venv; None: this one)."""

    name: str
    app: str
    python: str | None = None

    @property
    def classic(self) -> bool:
        """Classic Notebook 6 (its own page, ``Jupyter.notebook`` API, no ``.jp-Cell``)."""
        return self.name.startswith("classic")

    def __str__(self) -> str:
        return self.name


def _ipyw7_pythons() -> dict[str, str]:
    """Front-end name → python of its venv: ``DW_IPYW7_FRONTENDS`` (set by scripts/test.sh) or test.sh's own paths."""
    spec = os.environ.get("DW_IPYW7_FRONTENDS", "")
    named = dict(item.split("=", 1) for item in spec.split(",") if "=" in item)
    cache = pathlib.Path(os.environ.get("DRAGON_WIDGETS_CACHE", pathlib.Path.home() / ".cache" / "dragon_widgets"))
    key = hashlib.sha256((REPO / "pyproject.toml").read_bytes() + (REPO / "scripts" / "test.sh").read_bytes())
    return {n: named.get(n) or str(cache / f"venv-fe-{n}-{key.hexdigest()[:16]}" / "bin" / "python")
            for n in IPYW7_NAMES}


LAB4 = FrontEnd("lab", "lab")
NOTEBOOK7 = FrontEnd("notebook7", "notebook")
IPYW7 = tuple(FrontEnd(n, "lab" if n.startswith("lab") else "notebook", py) for n, py in _ipyw7_pythons().items())
ALL_FRONT_ENDS = (LAB4, NOTEBOOK7, *IPYW7)
#: The track of a scrubber's IntSlider: noUiSlider in ipywidgets 8, jQuery UI's slider in ipywidgets 7.
SLIDER_TRACK = ".dw-scrubber .noUi-target, .dw-scrubber .ui-slider"


TOKEN = "dw-browser-test"


@dataclasses.dataclass(frozen=True)
class Served:
    """``notebook`` (a file name) in the root of ``front_end``'s running server; ``url`` opens it."""

    front_end: FrontEnd
    base: str
    token: str
    notebook: str
    root: pathlib.Path

    @property
    def name(self) -> str:
        return self.front_end.name

    @property
    def url(self) -> str:
        if self.front_end.app == "lab":  # a workspace per notebook: no tabs restored from another module's notebook
            tree = f"/lab/workspaces/{pathlib.Path(self.notebook).stem}/tree"
        else:
            tree = "/notebooks"
        return f"{self.base}{tree}/{self.notebook}?token={self.token}"


class ServerPool:
    """One running Jupyter server per front end, started on first use, all stopped by :meth:`close`."""

    def __init__(self, root: pathlib.Path, token: str = TOKEN):
        self.root, self.token = root, token
        self._stack = contextlib.ExitStack()
        self._servers: dict[str, tuple[str, pathlib.Path]] = {}
        self.started: list[str] = []  # front-end names, in the order their servers started

    def server(self, front_end: FrontEnd) -> tuple[str, pathlib.Path]:
        """(base URL, root folder) of ``front_end``'s server, started now if it is not running yet."""
        if front_end.name not in self._servers:
            if front_end.python is not None and not pathlib.Path(front_end.python).exists():
                pytest.fail(f"{front_end}: no front-end venv at {front_end.python}; scripts/test.sh builds it "
                            f"(DW_IPYW7_FRONTENDS={os.environ.get('DW_IPYW7_FRONTENDS')!r})")
            root = self.root / front_end.name
            root.mkdir(parents=True, exist_ok=True)
            base = self._stack.enter_context(jupyter_server(front_end.app, root, self.token, python=front_end.python))
            self._servers[front_end.name] = (base, root)
            self.started.append(front_end.name)
        return self._servers[front_end.name]

    def close(self) -> None:
        self._servers.clear()
        self._stack.close()

    def __enter__(self) -> ServerPool:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@contextlib.contextmanager
def serve_notebook(pool: ServerPool, front_end: FrontEnd, notebook: str, cells: Iterable[str] = (),
                   copy_of: pathlib.Path | None = None, clear_outputs: bool = False) -> Iterator[Served]:
    """``notebook`` (a file name unique to the calling module) on ``front_end``'s server: a copy of ``copy_of`` (a
    notebook file) or the code ``cells``. ``clear_outputs``: the copy without its saved outputs and widget state,
    as *Restart & Clear Output* leaves it (an ipywidgets 7 front end cannot load the ipywidgets 8 state the committed
    notebooks carry). Its kernels are shut down afterwards; the server keeps running."""
    import nbformat

    base, root = pool.server(front_end)
    if copy_of is not None and clear_outputs:
        nb = nbformat.read(copy_of, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        nb.metadata.pop("widgets", None)
        nbformat.write(nb, root / notebook)
    elif copy_of is not None:
        (root / notebook).write_bytes(copy_of.read_bytes())
    else:
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c.strip()) for c in cells])
        nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
        nbformat.write(nb, root / notebook)
    try:
        yield Served(front_end, base, pool.token, notebook, root)
    finally:
        shut_down_kernels(base, pool.token, notebook)


def _sessions(base: str, token: str) -> list[dict]:
    return json.load(urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5))


def _session_path(session: dict) -> str:
    return session.get("path") or session.get("notebook", {}).get("path", "")


def shut_down_kernels(base: str, token: str, notebook: str) -> None:
    """End the sessions (and so the kernels) of ``notebook`` on the server at ``base``."""
    try:
        for s in _sessions(base, token):
            if _session_path(s) == notebook:
                req = urllib.request.Request(f"{base}/api/sessions/{s['id']}?token={token}", method="DELETE")
                urllib.request.urlopen(req, timeout=30)
    except OSError:
        pass  # the server is gone already: its kernels with it


def open_and_run(page, served: Served, cells: Iterable[int] = (0,)) -> None:
    """Open the served notebook in ``page``, wait for its kernel, run the cells at these indices (in order)."""
    page.goto(served.url)
    cells = list(cells)
    if served.front_end.classic:
        page.wait_for_function("window.Jupyter && Jupyter.notebook && Jupyter.notebook.kernel "
                               "&& Jupyter.notebook.kernel.is_connected()", timeout=120_000)
        wait_kernel_idle(served.base, served.token, served.notebook)
        # widgetsnbextension restores the kernel's widgets on page load (a comm_info round trip, no promise to
        # wait on); cells run before it answers can get each model twice, one of them deaf to the kernel (the
        # view renders, its updates never arrive: seen as a flaky first test in classic Notebook 7.7)
        page.wait_for_function("window.Jupyter && Jupyter.WidgetManager && Jupyter.WidgetManager._managers.length",
                               timeout=60_000)
        page.wait_for_timeout(2000)
        page.evaluate("cells => Jupyter.notebook.execute_cells(cells)", cells)
        return
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=120_000)
    wait_kernel_idle(served.base, served.token, served.notebook)
    # reopening a notebook whose kernel an earlier page used, Lab 4 sometimes asks "Select Kernel" (preselected:
    # the notebook's Python 3); accept it as a user would
    accept = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        accept.wait_for(timeout=1500)
        accept.click()
    except PlaywrightTimeout:
        pass
    for k in cells:  # Lab 3/4, Notebook 7: select the cell, run it (run-and-advance)
        page.locator(".jp-Notebook .jp-Cell").nth(k).click()
        page.keyboard.press("Shift+Enter")


@dataclasses.dataclass
class OpenedPage:
    """A browser context and page showing ``served``'s notebook, with the page errors seen so far."""

    ctx: object
    page: object
    errors: list[str]

    def ours(self) -> list[str]:
        """The page errors that are not the host's own (Notebook 7.6's core bundle throws a settings-schema
        TypeError on a fresh config dir: an error counts as ours unless it comes from that bundle with no frame
        in widget code)."""
        return [e for e in self.errors
                if "/static/notebook/notebook_core." not in e or "blob:" in e or "anywidget" in e]


def open_page(browser, served: Served, viewport: dict, cells: Iterable[int] = (0,)) -> OpenedPage:
    """A new browser context at ``viewport`` on the served notebook, with ``cells`` run."""
    ctx = browser.new_context(viewport=viewport)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(f"{e}\n{getattr(e, 'stack', '')}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" and any(
        w in m.text for w in ("dw-", "deserialize", "anywidget")) else None)
    open_and_run(page, served, cells)
    return OpenedPage(ctx, page, errors)


def _failed(opened: OpenedPage, artifacts: pathlib.Path, name: str, what: str) -> AssertionError:
    opened.page.screenshot(path=str(artifacts / f"{name}_not_rendered.png"), full_page=True)
    return AssertionError(f"{name}: {what}; page errors {opened.errors[-10:]}")


def wait_for_widget(opened: OpenedPage, selector: str, artifacts: pathlib.Path, name: str,
                    timeout: float = 240.0):
    """The locator of ``selector`` once it shows; on timeout a screenshot and the page errors in the failure."""
    loc = opened.page.locator(selector).first
    try:
        loc.wait_for(timeout=timeout * 1000)
    except Exception:
        raise _failed(opened, artifacts, name, f"{selector} did not render in {timeout} s") from None
    return loc


def open_editor(browser, served: Served, artifacts: pathlib.Path, viewport: dict,
                cells: Iterable[int] = (0,)) -> tuple[OpenedPage, object]:
    """The served notebook's EditorApp, rendered with its canvas and first comparison: (opened page, app locator)."""
    opened = open_page(browser, served, viewport, cells)
    app = wait_for_widget(opened, ".dw-editor-app", artifacts, served.name)
    try:
        app.locator(".dw-canvas .dw-stage").first.wait_for()
        opened.page.wait_for_function(
            "(() => { const i = document.querySelector('.dw-editor-app img.dw-side-before');"
            " return i && i.complete && i.naturalWidth > 0; })()", timeout=60_000)
    except Exception:
        raise _failed(opened, artifacts, served.name, "the canvas or the comparison's image did not show") from None
    return opened, app


def wait_text(locator, pattern: str, timeout: float = 120.0) -> str:
    """The locator's text once it matches ``pattern`` (a regex)."""
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = locator.inner_text() if locator.count() else ""
        if re.search(pattern, text):
            return text
        time.sleep(0.1)
    raise AssertionError(f"waited {timeout} s for {pattern!r}; last text: {text!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def jupyter_server(app: str, root: pathlib.Path, token: str, start_timeout: float = 90.0,
                   python: str | None = None) -> Iterator[str]:
    """Run ``jupyter <app>`` (``lab`` or ``notebook``) serving ``root``; yields its base URL, stops it after.

    ``python``: the interpreter of another environment (its server, front end and kernel); there ``notebook``
    may be classic Notebook 6, which takes ``NotebookApp`` options.
    """
    port = free_port()
    python = python or sys.executable
    classic = app == "notebook" and subprocess.run(
        [python, "-c", "import notebook, sys; sys.exit(int(notebook.__version__.split('.')[0]) >= 7)"]).returncode == 0
    cfg = "NotebookApp" if classic else "ServerApp"
    token_flag = f"--NotebookApp.token={token}" if classic else f"--IdentityProvider.token={token}"
    root_flag = f"--NotebookApp.notebook_dir={root}" if classic else f"--ServerApp.root_dir={root}"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]),
               JUPYTER_CONFIG_DIR=str(root / ".jupyter"), JUPYTERLAB_WORKSPACES_DIR=str(root / ".ws"),
               OMP_NUM_THREADS="1",  # a 2-core CI box: OpenMP spin-waits badly when oversubscribed
               PATH=os.pathsep.join([os.path.dirname(python), os.environ.get("PATH", "")]))  # its jupyter-* first
    log_path = root / "server.log"
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            [python, "-m", "jupyter", app, "--no-browser", "--allow-root", f"--port={port}",
             f"--{cfg}.ip=127.0.0.1", token_flag, root_flag],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + start_timeout
            while True:
                try:
                    urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                    break
                except OSError:
                    if proc.poll() is not None or time.time() > deadline:
                        pytest.fail(f"jupyter {app} did not start; log: {log_path.read_text()[-2000:]}")
                    time.sleep(0.5)
            yield base
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_kernel_idle(base: str, token: str, notebook: str, timeout: float = 180.0) -> None:
    """Until ``notebook``'s kernel session exists and reports idle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if any(_session_path(s) == notebook and s.get("kernel", {}).get("execution_state") == "idle"
                   for s in _sessions(base, token)):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the kernel of {notebook} did not start")


def visible_box(page, element) -> dict:
    """``element``'s box once it lies wholly in the viewport (scrolled to the middle first, as a person would, when
    part of it is off screen): mouse events at its coordinates then reach it."""
    box = element.bounding_box()
    height = page.viewport_size["height"]
    if box["y"] < 0 or box["y"] + box["height"] > height:
        element.evaluate("e => e.scrollIntoView({block: 'center', inline: 'nearest'})")
        box = element.bounding_box()
    return box


def drag(page, stage, points: Iterable[tuple[float, float]]) -> None:
    """A mouse drag through ``points`` given as fractions of ``stage``'s box."""
    box = visible_box(page, stage)
    xy = [(box["x"] + fx * box["width"], box["y"] + fy * box["height"]) for fx, fy in points]
    page.mouse.move(*xy[0])
    page.mouse.down()
    for p in xy[1:]:
        page.mouse.move(*p, steps=4)
    page.mouse.up()


def click_at(page, stage, fx: float, fy: float) -> None:
    """A click at fractions (fx, fy) of ``stage``'s box."""
    box = visible_box(page, stage)
    page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
