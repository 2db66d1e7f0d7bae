#!/usr/bin/env bash
# One call of the device tool (a CUDA machine with torch but no diffusers), prepared so nothing is typed there.
#
#   bash scripts/device_job.sh train   # train the embedded model (7 min of training), weights back in $OUT
#   bash scripts/device_job.sh speed   # SD-1.5- and SDXL-sized fp16 speed figures (random weights), in $OUT
#
# Before the call, here: `bash scripts/device_wheels.sh` (fills the git-ignored .whl/ with the wheels the
# device image lacks); the call names `.whl` in `carry`. Settings come from the environment, so the same script
# is tested on a CPU (tests/test_device_job.py): DEVICE (cuda), ARCH (v1), WORLD (mixed), SCHEDULE (linear),
# INIT_FROM (dragon_widgets/models/embedded; "none" = from scratch), MINUTES (7), ANNEAL (3), BATCH (128), LR (3e-4),
# WARMUP (100), WORKERS (12), CKPT_EVERY (3), EVAL (--eval), OUT (runs/device_out when unset), WHEELS (.whl).
set -euo pipefail
cd "$(dirname "$0")/.."
job=${1:-}
if [ "$job" != train ] && [ "$job" != speed ]; then
    echo "device_job.sh: job must be 'train' or 'speed', got '$job'" >&2
    exit 2
fi
OUT=${OUT:-runs/device_out}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
WHEELS=${WHEELS:-.whl}
if compgen -G "$WHEELS/*.whl" >/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/dw_site "$WHEELS"/*.whl
    export PYTHONPATH=/tmp/dw_site:$PWD
else
    export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
DEVICE=${DEVICE:-cuda}

case "$job" in
train)
    run=${RUN_DIR:-/tmp/dw_train}
    rm -rf "$run"
    # the embedded model's recipe (training/embedded_v3/README.md): the mixed world (empty backgrounds, objects cut
    # by the frame), min-SNR weighting with a floor, from the shipped weights; --minutes is the training loop's budget
    init=${INIT_FROM:-dragon_widgets/models/embedded}
    init_args=()
    if [ "$init" != none ]; then init_args=(--init-from "$init"); fi
    "$PY" -m dragon_widgets.models.train --out "$run" --export "$run/export" --device "$DEVICE" \
        --arch "${ARCH:-v1}" --world "${WORLD:-mixed}" --schedule "${SCHEDULE:-linear}" "${init_args[@]}" \
        --workers "${WORKERS:-12}" --batch "${BATCH:-128}" --lr "${LR:-3e-4}" --warmup "${WARMUP:-100}" \
        --caption-dropout 0.3 --min-snr-floor 0.05 --minutes "${MINUTES:-7}" --anneal-minutes "${ANNEAL:-3}" \
        --ckpt-every-min "${CKPT_EVERY:-3}" "${EVAL:---eval}" 2>&1 | tee "$OUT/train.log"
    # the fp16 pipeline folder as one file (the device tool returns at most 8 files of ≤ 16 MB each)
    tar -C "$run" -cf "$OUT/export.tar" export
    cp "$run/log.jsonl" "$OUT/log.jsonl"
    last=$(ls "$run"/samples_*.png 2>/dev/null | tail -n 1 || true)
    if [ -n "$last" ]; then cp "$last" "$OUT/samples_latest.png"; fi
    ls -la "$OUT"
    ;;
speed)
    for model in sd15-random sdxl-random; do
        "$PY" benchmarks/speed.py --model "$model" --device "$DEVICE" --dtype "${DTYPE:-float16}" \
            --repeats "${REPEATS:-2}" ${SPEED_ARGS:-} 2>&1 | tee "$OUT/speed_$model.txt"
    done
    ;;
esac
