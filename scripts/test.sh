#!/usr/bin/env bash
# Run every test of the project on a fresh machine: installs what the tests need (Debian's
# hdf5-tools for h5dump, a Python venv with pinned h5py/numpy/pandas/jangada), then checks
# formatting, lints, the test suites, and the no-C promise.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "set-up (hdf5-tools, Python venv)"
bash scripts/setup.sh

# The no-C promise: nothing in the build may need a C or C++ compiler.
export CC=false CXX=false

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

step "no *-sys crate in the dependency tree"
# One exception: libbz2-rs-sys (under `bzip2`, filter 307) is a pure-Rust port of libbzip2
# that also exports libbzip2's C API, hence its name; the CC=false build below proves it
# compiles no C.
if cargo tree --workspace --edges all --prefix none --format '{p}' \
    | grep -E '^[A-Za-z0-9_-]+-sys ' | grep -v '^libbz2-rs-sys ' ; then
    echo "a -sys crate (C bindings) is in the dependency tree" >&2
    exit 1
fi
echo "none"

step "statically linked jangada binary (crt-static, no C toolchain)"
host=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-C target-feature=+crt-static" cargo build --quiet --release --bin jangada \
    --target "$host" --target-dir target/static
bin="target/static/$host/release/jangada"
if ldd "$bin" 2>&1 | grep -qE 'not a dynamic executable|statically linked'; then
    echo "$bin is statically linked"
else
    ldd "$bin" || true
    echo "$bin is not statically linked" >&2
    exit 1
fi
"$bin" ls fixtures/libver_latest.h5 > /dev/null

step "benchmarks, smoke mode (tiny sizes: checks they run, not speed)"
bash benches/run.sh --smoke

step "cargo test"
cargo test --workspace --quiet 2>&1 | tee target/test-output.txt

# The other targets (Windows, aarch64, musl, WASI, wasm32): the bounded form CI's time allows,
# every target's libraries and binary type-checked; `bash scripts/cross.sh` is the full form
# (builds, and the format and persist suites under wine, qemu-user and Node's WASI). Outside
# the CC=false environment: the set-up compiles the link-time shims for musl and WASI
# binaries from a few lines of C (not part of the libraries or the binary).
step "other targets, type-checked (scripts/cross.sh --check)"
env -u CC -u CXX bash scripts/cross.sh --check

# Outside the CC=false environment: libFuzzer is C++. The fuzz harness (fuzz/, a workspace
# of its own) is test tooling; the library and the jangada binary still need no C.
step "fuzzing, 60 s per target (scripts/fuzz-ci.sh)"
env -u CC -u CXX bash scripts/fuzz-ci.sh
