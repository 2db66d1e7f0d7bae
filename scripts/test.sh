#!/usr/bin/env bash
# Install everything the test suite needs (cached venv keyed on pyproject's hash) and run it all: the full gate.
# Used by the README's test command and by .ci/run. Works on a brand-new machine. The fast tier for the edit-test
# loop is one pytest command in the current environment (README, docs/testing.md).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${DRAGON_WIDGETS_CACHE:-$HOME/.cache/dragon_widgets}
KEY=$(cat pyproject.toml scripts/test.sh | sha256sum | cut -c1-16)
VENV=$CACHE/venv-$KEY
PY=${PYTHON:-python3}

# Front end: the pinned esbuild from the lockfile bundles src_js/*.js into dragon_widgets/static/ (committed;
# tests/test_packaging.py fails when the committed bundle does not match the committed sources).
if ! cmp -s package-lock.json node_modules/.dw-installed-lock 2>/dev/null; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.dw-installed-lock
fi
npm run --silent build
# Browser tests drive Debian's chromium (never a downloaded browser build).
if [ ! -x /usr/bin/chromium ]; then
  echo "== installing chromium (apt)"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
    || echo "!! could not install chromium: the browser tests will fail"
fi

if [ ! -f "$VENV/.complete" ]; then
  echo "== creating test venv $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  # The CPU wheel of torch lies on this machine's disk; a bare 'torch' could pull a multi-GB CUDA build.
  "$VENV/bin/pip" install -q torch==2.13.0 || "$VENV/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu
  "$VENV/bin/pip" install -q -e ".[test,browser]"
  touch "$VENV/.complete"
fi
source "$VENV/bin/activate"
pip install -q --no-deps -e . >/dev/null

# ipywidgets 7 front ends (Colab's generation) for the browser tests (tests/browser/jupyter_harness.py), one venv
# each: the server and front end are its own, with the front-end extensions of the package's widget libraries
# (anywidget; ipycanvas, which draws the inspection panels) as a user's server environment has them; a .pth file
# lends it the main venv's packages (torch, numpy, the engine) for the kernel. Classic Notebook 6.5 with ipywidgets
# 7.7.1 and with 7.8.5 (whose widgetsnbextension 3.6.7-3.6.10 cannot display an ipywidgets.Output), and
# JupyterLab 3.6 with 7.8.5.
MAIN_SITE=$(python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
FRONTENDS=""
frontend_venv() {  # name, pip requirements...
  local name=$1 dir=$CACHE/venv-fe-$1-$KEY
  shift
  if [ ! -f "$dir/.complete" ]; then
    echo "== creating front-end venv $dir" >&2
    rm -rf "$dir"
    "$PY" -m venv "$dir"
    "$dir/bin/pip" install -q "$@" "traitlets==5.7.1" anywidget ipykernel >&2
    "$dir/bin/pip" install -q --no-deps "ipycanvas>=0.13" >&2  # its numpy and pillow: the main venv's
    echo "$MAIN_SITE" > "$("$dir/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')/zz_main_venv.pth"
    touch "$dir/.complete"
  fi
  FRONTENDS="$FRONTENDS${FRONTENDS:+,}$name=$dir/bin/python"
}
frontend_venv classic-7.7 "notebook==6.5.*" "ipywidgets==7.7.1" "widgetsnbextension==3.6.1"
frontend_venv classic-7.8 "notebook==6.5.*" "ipywidgets==7.8.5"
frontend_venv lab-3.6 "jupyterlab==3.6.*" "ipywidgets==7.8.5"
export DW_IPYW7_FRONTENDS=$FRONTENDS

export PYTHONUNBUFFERED=1
# Every test: the fast tier, the slow and trained-model tests, the browser tests (one Jupyter server per front end)
# and the notebooks (tests/notebooks); the 25 slowest are listed at the end. Arguments go to pytest, e.g.
# `bash scripts/test.sh -m "not browser"` or `bash scripts/test.sh tests/engine`.
python -m pytest -q --durations=25 "$@"

if [ $# -eq 0 ]; then
  # Colab still ships ipywidgets 7: run the Python-side widget tests there too, at the traitlets floor.
  # The ipywidgets-7 venv holds only the widget stack; a .pth file lends it the main venv's packages.
  VENV7=$CACHE/venv-ipyw7-$KEY
  if [ ! -f "$VENV7/.complete" ]; then
    echo "== creating ipywidgets-7 venv $VENV7"
    rm -rf "$VENV7"
    "$PY" -m venv "$VENV7"
    "$VENV7/bin/pip" install -q "ipywidgets>=7.7,<8" "traitlets==5.7.1" anywidget pytest
    SITE7=$("$VENV7/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
    python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' > "$SITE7/zz_main_venv.pth"
    touch "$VENV7/.complete"
  fi
  echo "== widget tests under ipywidgets 7"
  PYTHONPATH=$ROOT "$VENV7/bin/python" -m pytest -q -p no:cacheprovider tests/widgets
fi
echo "== scripts/test.sh: $SECONDS s"
