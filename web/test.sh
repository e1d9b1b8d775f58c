#!/usr/bin/env bash
# web/test.sh: build the demo (web/build.sh), serve web/ on localhost, and drive the page in
# headless Chromium (Debian's /usr/bin/chromium) with playwright-core (pinned in
# package-lock.json, installed with `npm ci`): open fixtures, select datasets, check the
# tree, attributes, shapes, dtypes and first values against h5py (.venv), that plots and
# images are drawn, and that broken files show an error. Saves web/screenshot.png.
# Needs .venv (h5py), node + npm, chromium, and what web/build.sh needs.
set -euo pipefail
WEB=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$WEB")
now() { date +%s.%N; }
dt() { python3 -c "import sys; print('%.1fs' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
t0=$(now)

# WEB_SKIP_BUILD=1: test the web/dist/jangada_web.wasm already there.
if [ "${WEB_SKIP_BUILD:-}" != 1 ]; then t=$(now); bash "$WEB/build.sh"; echo "== web: wasm build $(dt "$t")"; fi
t=$(now)
cd "$WEB"
[ -d node_modules/playwright-core ] && [ node_modules/.package-lock.json -nt package-lock.json ] \
  || npm ci --no-audit --no-fund --loglevel=error
PY=$ROOT/.venv/bin/python
[ -x "$PY" ] || { echo "web/test.sh: $PY missing (scripts/test.sh creates the venv)" >&2; exit 1; }
"$PY" test_data.py "$WEB/dist/test-data"
echo "== web: npm + test data $(dt "$t")"

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$WEB" >"$WEB/dist/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/index.html')" 2>/dev/null && break
  sleep 0.1
done
t=$(now)
node test.mjs "http://127.0.0.1:$PORT/" "$WEB/dist/test-data/expected.json" "$WEB/screenshot.png"
echo "== web: chromium test $(dt "$t"), total $(dt "$t0")"
