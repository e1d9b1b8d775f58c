#!/usr/bin/env bash
# Install what the project's tests and fixture generation need on a fresh
# Debian machine: hdf5-tools (h5dump), python3-venv if `python3 -m venv` cannot
# work, and the Python venv (.venv, see setup-python.sh). Idempotent.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

pkgs=()
if command -v h5dump >/dev/null 2>&1; then
    echo "setup: h5dump present"
else
    pkgs+=(hdf5-tools)
fi
if [ ! -x "$ROOT/.venv/bin/python" ] && ! "$PYTHON" -c 'import ensurepip, venv' >/dev/null 2>&1; then
    pkgs+=(python3-venv)
fi

if [ "${#pkgs[@]}" -gt 0 ]; then
    echo "setup: installing ${pkgs[*]}"
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then
        SUDO="sudo"
    fi
    $SUDO apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
    echo "setup: installed ${pkgs[*]}"
fi

bash "$ROOT/scripts/setup-python.sh"
echo "setup: done"
