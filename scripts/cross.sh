#!/usr/bin/env bash
# cross.sh [--ci|--check] [TARGET...]: build jangada-hdf5, jangada and the `jangada` binary for the
# other targets, and run the test suites where this machine has a runner:
#
#   target                      builds             tests run under
#   x86_64-pc-windows-gnu       libs + binary      wine
#   aarch64-unknown-linux-gnu   libs + binary      qemu-user
#   x86_64-unknown-linux-musl   libs + binary      (binary smoke run only, natively)
#   aarch64-unknown-linux-musl  libs               - (no aarch64 musl linker in Debian 12)
#   wasm32-wasip1               libs + binary      Node's node:wasi (scripts/cross/wasi-run.mjs)
#   wasm32-unknown-unknown      libs               - (the browser; web/)
#
# The suites: the format crate's unit tests and the integration tests of format/tests/ and
# tests/ that read files rather than talk to h5py (list below); the persist crate's unit
# tests. Tests that need the host's tools, unwinding or threads skip themselves on these
# targets, visibly (tests/portable.rs); the summary counts them and $LOG/TARGET.skips lists
# them. The interop suites (h5py, h5dump) run on the host only, in `cargo test`.
#
# Full form (no flag): every target built, every suite below run. --ci: a bounded form:
# libraries checked (lib-only targets) or built, the binary linked, the format unit tests
# and a subset of integration tests run (about 45 min on 2 cores: too long for CI).
# --check: what scripts/test.sh calls (CI's budget allows no more): the libraries and the
# binary type-checked for every target (`cargo check`, std rebuilt per target), no tests.
#
# Toolchain: Debian's rustc-web 1.96 rebuilding std per target (scripts/cross/setup.sh).
# Output under $CARGO_TARGET_DIR (default target/): cross/ (builds), cross-logs/ (logs),
# cross-shims/, cross-wine/ (the wine prefix), cross-tmp/ (scratch files of WASI tests).
# Exit status: 0 when every build and every test passed.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1

CI=0
CHECK=0
TARGETS=()
for a in "$@"; do
    case $a in
    --ci) CI=1 ;;
    --check) CHECK=1 ;;
    -h | --help)
        sed -n '2,/^set /p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) TARGETS+=("$a") ;;
    esac
done
ALL_TARGETS=(aarch64-unknown-linux-gnu x86_64-unknown-linux-musl aarch64-unknown-linux-musl
    x86_64-pc-windows-gnu wasm32-wasip1 wasm32-unknown-unknown)
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=("${ALL_TARGETS[@]}")

TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
X=$TARGET_DIR/cross
LOG=$TARGET_DIR/cross-logs
TMPW=$TARGET_DIR/cross-tmp
mkdir -p "$LOG" "$TMPW"
# shellcheck source=cross/setup.sh
. "$ROOT/scripts/cross/setup.sh"
# shellcheck source=cross/tests.sh
. "$ROOT/scripts/cross/tests.sh"
# Type-checking needs the toolchain only: no linkers, runners or shims.
[ $CHECK = 1 ] && CROSS_APT="rustc-web cargo-web rust-web-src"

# Integration tests run on the targets with a runner (the others are host-only: they
# compare with h5py or h5dump throughout).
FORMAT_TESTS=(chunk_indexes guess_chunk messages_real set_attrs fast_paths)
PERSIST_TESTS=(fixtures selection corruption cycles fuzz_regressions bad_input read_limit
    parallel_reads producers persist_mapping write_roundtrip check locking in_memory)
CI_FORMAT_TESTS=(chunk_indexes guess_chunk messages_real)
CI_PERSIST_TESTS=(fixtures selection cycles in_memory)
if [ $CI = 1 ]; then
    FORMAT_TESTS=("${CI_FORMAT_TESTS[@]}") PERSIST_TESTS=("${CI_PERSIST_TESTS[@]}")
fi
TEST_TIMEOUT=$([ $CI = 1 ] && echo 300 || echo 1200)

now() { date +%s; }

t0=$(now)
echo "== set-up"
cross_apt || exit 1
SHIMS=$TARGET_DIR/cross-shims
[ $CHECK = 1 ] || cross_shims || { echo "building the link shims failed" >&2; exit 1; }
cross_env
SETUP_S=$(($(now) - t0))
echo "   $(/usr/bin/rustc -V), node $(node --version): ${SETUP_S}s"

# build-std crates per target: wasm is panic=abort.
build_std() { case $1 in wasm32-*) echo std,panic_abort ;; *) echo std ;; esac; }
has_runner() { [ -n "$(cross_runner "$1")" ]; }
has_binary() { [ "$1" != aarch64-unknown-linux-musl ] && [ "$1" != wasm32-unknown-unknown ]; }

# The binary's path for TARGET under profile PROFILE_DIR.
binary_path() {
    local ext=""
    case $1 in *windows*) ext=.exe ;; wasm32-*) ext=.wasm ;; esac
    echo "$X/$1/$2/jangada$ext"
}

# Runs the binary: `jangada ls` of a fixture must list its root.
smoke() {
    local tg=$1 bin=$2 runner
    runner=$(cross_runner "$tg")
    [ "$tg" = x86_64-unknown-linux-musl ] && runner=""
    # shellcheck disable=SC2086
    JANGADA_CROSS=1 timeout 120 $runner "$bin" ls "$ROOT/fixtures/libver_latest.h5" \
        >"$LOG/$tg.smoke.log" 2>&1 && [ -s "$LOG/$tg.smoke.log" ]
}

FAILED_ANY=0
ROWS=()
for tg in "${TARGETS[@]}"; do
    bs=$(build_std "$tg")
    echo "== $tg"
    if [ $CHECK = 0 ] && [ "$tg" = x86_64-pc-windows-gnu ] && ! cross_wine_prefix; then
        echo "   wine prefix set-up failed: $LOG/wineboot.log"
    fi
    t=$(now)
    # Targets with tests build with the test profile, whose dependencies the test binaries
    # then reuse; lib-only targets are checked in --ci (no codegen) and built otherwise.
    args=(-p jangada-hdf5 -p jangada --lib)
    profile=(--profile test)
    pdir=debug
    has_binary "$tg" && args+=(--bins)
    has_runner "$tg" || profile=()
    cmd=build
    if [ $CI = 1 ] && ! has_binary "$tg"; then cmd=check; fi
    if [ $CHECK = 1 ]; then cmd=check profile=(); fi
    /usr/bin/cargo $cmd --target "$tg" -Zbuild-std="$bs" --target-dir "$X" "${profile[@]}" \
        "${args[@]}" >"$LOG/$tg.build.log" 2>&1
    brc=$?
    bt=$(($(now) - t))
    echo "   $cmd libs$(has_binary "$tg" && echo ' + binary'): rc=$brc ${bt}s"
    [ $brc = 0 ] || { FAILED_ANY=1; grep -E '^(error|warning: unused)' -A5 "$LOG/$tg.build.log" | head -30; }
    smk=-
    if [ $CHECK = 0 ] && [ $brc = 0 ] && has_binary "$tg" && { has_runner "$tg" || [ "$tg" = x86_64-unknown-linux-musl ]; }; then
        if smoke "$tg" "$(binary_path "$tg" $pdir)"; then smk=ok; else smk=FAIL FAILED_ANY=1; fi
        echo "   binary: jangada ls: $smk"
    fi
    tests="-" tt=0 bt2=0
    if [ $CHECK = 0 ] && has_runner "$tg" && [ $brc = 0 ]; then
        t=$(now)
        targs=(-p jangada-hdf5 -p jangada --lib)
        for n in "${FORMAT_TESTS[@]}" "${PERSIST_TESTS[@]}"; do targs+=(--test "$n"); done
        cross_build_tests "$tg" "$bs" "${targs[@]}"
        trc=$?
        bt2=$(($(now) - t))
        echo "   test binaries: rc=$trc ${bt2}s"
        if [ $trc != 0 ]; then
            FAILED_ANY=1 tests="build failed"
            grep -E '^error' -A5 "$LOG/$tg.tests.log" | head -30
        else
            t=$(now)
            cross_run_tests "$tg" "$TEST_TIMEOUT"
            tt=$(($(now) - t))
            tests="$PASSED/$FAILED/$SKIPPED/$IGNORED"
            [ "$FAILED" = 0 ] || { FAILED_ANY=1; sed 's/^/   FAILED /' "$LOG/$tg.failures"; }
        fi
    fi
    ROWS+=("$(printf '%-27s %-4s %6ss %-6s %7ss  %-18s %6ss' "$tg" "$brc" "$bt" "$smk" "$bt2" "$tests" "$tt")")
done

echo
echo "== summary ($([ $CHECK = 1 ] && echo --check || { [ $CI = 1 ] && echo --ci || echo full; }); set-up ${SETUP_S}s, total $(($(now) - t0))s)"
printf '%-27s %-4s %7s %-6s %8s  %-18s %7s\n' target "rc" build binary "tests" \
    "pass/fail/skip/ign" "run"
for r in "${ROWS[@]}"; do echo "$r"; done
echo "skipped on these targets (tests/portable.rs; logs in $LOG):"
for tg in "${TARGETS[@]}"; do
    [ -s "$LOG/$tg.skips" ] && sed "s/^/   $tg: /" "$LOG/$tg.skips"
done
echo "host-only suites (h5py/h5dump interop, in cargo test): format/tests/{dense_build_interop,index_build_interop}.rs and the tests/ files not listed in PERSIST_TESTS"
exit $FAILED_ANY
