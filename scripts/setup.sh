#!/usr/bin/env bash
# Shared set-up for demo.sh and test.sh: install the Debian packages rdx needs
# (when run as root; otherwise print the apt-get line and stop), then configure
# and build into build/. Usage: scripts/setup.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential cmake pkg-config zlib1g-dev libdeflate-dev libnifti2-dev libteem-dev libhdf5-dev hdf5-tools
          libyaml-dev python3)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "rdx needs these Debian packages; install them with:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
  echo "setup: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

jobs=$(nproc 2>/dev/null || echo 2)
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j "$jobs" 2>&1 | grep -E "error|warning|Error" || true
test -x build/rdx || { echo "setup: build failed (run: cmake --build build)" >&2; exit 1; }
echo "setup: built build/rdx" >&2
