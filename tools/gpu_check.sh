#!/usr/bin/env bash
# The GPU checks of a CuPy machine, in one run: the GPU benchmark, then the backend suite on CuPy.
# Needs only NumPy, CuPy, pytest and Hypothesis (PyTorch optional); no install, no network.
# Usage: bash tools/gpu_check.sh [OUTDIR]   (figures go to OUTDIR/gpu.json and OUTDIR/*.txt)
set -u
out="${1:-${OUT:-/tmp}}"
mkdir -p "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$out/device.txt"
python -m benchmarks.gpu --json "$out/gpu.json" 2>&1 | tee "$out/bench.txt"
TAPEGRAD_TEST_BACKEND=cupy HYPOTHESIS_PROFILE=ci timeout 300 \
    python -m pytest -m backend -q -p no:cacheprovider --tb=short -rfE > "$out/tests.txt" 2>&1
grep -E "^(FAILED|ERROR)|passed|failed" "$out/tests.txt" | cut -c1-300 | sort -u
