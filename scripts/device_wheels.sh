#!/usr/bin/env bash
# Fill the git-ignored .whl/ with the wheels that scripts/device_job.sh installs on the device machine.
# Its image has torch, numpy, pillow, safetensors, tokenizers and huggingface_hub (1.33) but no diffusers; the
# versions below are the ones this project is tested with (huggingface_hub stays the device's: both libraries
# accept ≥ 1.32, and 2.x would need httpx2, which the image lacks). About 21 MB, carried with the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
version() { "$PY" -c "import importlib.metadata as m; print(m.version('$1'))"; }
mkdir -p .whl
rm -f .whl/*.whl
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d .whl \
    "diffusers==$(version diffusers)" "transformers==$(version transformers)" "regex==$(version regex)" \
    "importlib_metadata==$(version importlib_metadata)"
ls -la .whl
