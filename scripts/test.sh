#!/usr/bin/env bash
# Install everything the test suite needs (cached venv keyed on pyproject's hash) and run it all.
# Used by the README's test command and by .ci/run. Works on a brand-new machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CACHE=${DRAGON_WIDGETS_CACHE:-$HOME/.cache/dragon_widgets}
KEY=$(cat pyproject.toml scripts/test.sh | sha256sum | cut -c1-16)
VENV=$CACHE/venv-$KEY
PY=${PYTHON:-python3}

if [ ! -f "$VENV/.complete" ]; then
  echo "== creating test venv $VENV"
  rm -rf "$VENV"
  "$PY" -m venv "$VENV"
  # The CPU wheel of torch lies on this machine's disk; a bare 'torch' could pull a multi-GB CUDA build.
  "$VENV/bin/pip" install -q torch==2.13.0 || "$VENV/bin/pip" install -q torch --index-url https://download.pytorch.org/whl/cpu
  "$VENV/bin/pip" install -q -e ".[test]"
  touch "$VENV/.complete"
fi
source "$VENV/bin/activate"
pip install -q --no-deps -e . >/dev/null

export PYTHONUNBUFFERED=1
python -m pytest -q "$@"
