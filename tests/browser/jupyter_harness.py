"""A real Jupyter server for the browser tests: start one on a free port, wait for it, stop it.

Shared by the editor (JupyterLab + Notebook 7) and the panels tests; it uses only the server's REST API,
which every front end shares.
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]


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


def wait_kernel_idle(base: str, token: str, timeout: float = 180.0) -> None:
    """Until the notebook's kernel session exists and reports idle."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            sessions = json.load(urllib.request.urlopen(f"{base}/api/sessions?token={token}", timeout=5))
            if any(s.get("kernel", {}).get("execution_state") == "idle" for s in sessions):
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError("the notebook's kernel did not start")
