#!/usr/bin/env bash
# Bounded fuzzing for CI: builds the four cargo-fuzz targets (fuzz/, a workspace of its
# own), seeds them with the fixtures (and `filters` with real chunks) and runs each for
# FUZZ_SECONDS (default 60); any crash, hang (30 s per input: CI machines are slow and
# shared) or allocation over 2 GiB (for `filters`, one allocation over 64 MiB: its chunks
# are at most 1 MiB) fails the step. Findings land in fuzz/artifacts/<target>/; minimise them into
# fuzz/regressions/<target>/ (see fuzz/README.md), where `cargo test` replays them.
#
# libFuzzer is C++: this step needs a C++ compiler, unlike the library (whose no-C promise
# scripts/test.sh checks with CC=false). The fuzz harness is test tooling outside the
# workspace; nothing of it is linked into jangada or jangada-hdf5.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-60}
# cargo-fuzz passes -Z flags to cargo/rustc: allow them on the stable toolchain.
export RUSTC_BOOTSTRAP=1

if ! command -v cargo-fuzz > /dev/null; then
    cargo install cargo-fuzz --locked --version 0.13.2
fi

bash fuzz/seed.sh
cd fuzz
# No AddressSanitizer (in-memory input: no unsafe code runs); debug assertions and
# overflow checks stay on (cargo-fuzz's default).
cargo fuzz build -s none
for t in walk read load filters; do
    mkdir -p "artifacts/$t"
    echo "fuzzing $t for ${seconds}s"
    if [ "$t" = filters ]; then
        opts=(-max_len=70000 -malloc_limit_mb=64)
    else
        opts=(-dict=hdf5.dict -max_len=200000 -malloc_limit_mb=2048)
    fi
    cargo fuzz run -s none "$t" -- "${opts[@]}" -rss_limit_mb=2048 -timeout=30 \
        -max_total_time="$seconds" -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" 2> "artifacts/$t.log" || {
        tail -n 40 "artifacts/$t.log" >&2
        echo "fuzz target $t failed: see fuzz/artifacts/$t/" >&2
        exit 1
    }
    grep -E '^stat::number_of_executed_units|^Done ' "artifacts/$t.log" || true
done
