#!/usr/bin/env bash
# Create/refresh the Python virtual environment at <repo>/.venv with the pinned
# packages of fixtures/requirements.txt. Idempotent: does nothing when the venv
# already matches the requirements (a stamp file holds the requirements' hash).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
REQ="$ROOT/fixtures/requirements.txt"
STAMP="$VENV/.requirements.sha256"
PYTHON="${PYTHON:-python3}"

want="$(sha256sum "$REQ" | cut -d' ' -f1)"
if [ -x "$VENV/bin/python" ] && [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ]; then
    echo "setup-python: .venv is up to date"
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "setup-python: creating $VENV"
    if ! "$PYTHON" -m venv "$VENV"; then
        echo "setup-python: '$PYTHON -m venv' failed (on Debian: apt-get install python3-venv)" >&2
        exit 1
    fi
fi

echo "setup-python: installing fixtures/requirements.txt"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQ"
echo "$want" > "$STAMP"
echo "setup-python: done"
