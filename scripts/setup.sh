#!/usr/bin/env bash
# Install what the project's tests and fixture generation need on a fresh
# Debian machine: hdf5-tools (h5dump) and the Python venv (.venv). Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

if command -v h5dump >/dev/null 2>&1; then
    echo "setup: h5dump present"
else
    echo "setup: installing hdf5-tools (h5dump)"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq hdf5-tools >/dev/null
    echo "setup: hdf5-tools installed"
fi

bash "$ROOT/scripts/setup-python.sh"
echo "setup: done"
