#!/usr/bin/env bash
# Install what is missing, build, and run the whole test suite (ctest).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# Python readers used by some tests (h5py/pandas load the feature store).
if ! python3 -c "import numpy, h5py, pandas" 2>/dev/null; then
  python3 -m pip install -q numpy h5py pandas 2>/dev/null ||
    python3 -m pip install -q --break-system-packages numpy h5py pandas || true
fi
cd build
ctest --output-on-failure -j "$(nproc 2>/dev/null || echo 2)" "$@"
