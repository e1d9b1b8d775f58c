#!/usr/bin/env bash
# web/build.sh: build the browser demo's decoder (crate jangada-web) for
# wasm32-unknown-unknown and copy it next to the page, as web/dist/jangada_web.wasm.
#
# The machine's rustup toolchain has only the host's standard library, so this uses
# Debian's rustc-web (apt: rustc-web cargo-web rust-web-src, installed if missing) and
# rebuilds std for wasm32 with -Zbuild-std (RUSTC_BOOTSTRAP=1 unlocks it on a stable
# rustc). wasm links with rustc's own rust-lld: no C toolchain, no wasm-bindgen.
# CARGO_TARGET_DIR defaults to the workspace's target/ (the std build is cached there).
set -euo pipefail
WEB=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$WEB")
if [ ! -x /usr/bin/rustc ] || [ ! -d /usr/lib/rustlib/src/rust/library ]; then
  echo "build.sh: installing Debian's rustc-web, cargo-web and rust-web-src" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    rustc-web cargo-web rust-web-src >/dev/null
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
# The release profile keeps line tables for the host's profilers; the page needs none.
export CARGO_PROFILE_RELEASE_DEBUG=0 CARGO_PROFILE_RELEASE_STRIP=debuginfo
cd "$ROOT"
RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1 /usr/bin/cargo build -q --release \
  --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort -p jangada-web
mkdir -p "$WEB/dist"
cp "$CARGO_TARGET_DIR/wasm32-unknown-unknown/release/jangada_web.wasm" "$WEB/dist/"
echo "build.sh: web/dist/jangada_web.wasm ($(stat -c %s "$WEB/dist/jangada_web.wasm") bytes)"
