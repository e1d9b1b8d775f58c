# shellcheck shell=bash
# Sourced by scripts/cross.sh: build test binaries for a target and run them under its runner.
#
# Test binaries are built with `cargo test --no-run --message-format=json`; their paths come
# from the JSON (`jq`). Each runs under the target's runner with JANGADA_CROSS=1, which
# makes the tests that need the host's tools (Python/h5py, h5dump, child processes) skip
# themselves, printing `cross-skip: TEST (needs ...)` (tests/portable.rs). Every binary runs
# with --show-output, so those lines reach the log; a binary that crashes (on wasm a panic
# aborts the whole binary) counts as one failure.
#
# Needs: $ROOT, $X (cargo target dir), $LOG, $TMPW and the runner variables of setup.sh.

# The runner command for TARGET (empty: none here).
cross_runner() {
    case $1 in
    x86_64-pc-windows-gnu) echo "$WINE" ;;
    aarch64-unknown-linux-gnu) echo "$QEMU_AARCH64" ;;
    wasm32-wasip1)
        echo "node --no-warnings --stack-size=4096 $ROOT/scripts/cross/wasi-run.mjs --dir $ROOT \
--dir $TMPW --env JANGADA_CROSS=1 --env TMPDIR=$TMPW --env RUST_BACKTRACE=0"
        ;;
    esac
}

# cross_build_tests TARGET BUILD_STD CARGO_ARGS...: builds; writes "name path" lines to
# $LOG/TARGET.tests. Returns cargo's status.
cross_build_tests() {
    local tg=$1 bs=$2 rc
    shift 2
    /usr/bin/cargo test --no-run --target "$tg" -Zbuild-std="$bs" --target-dir "$X" "$@" \
        --message-format=json-render-diagnostics >"$LOG/$tg.tests.json" 2>"$LOG/$tg.tests.log"
    rc=$?
    jq -r 'select(.reason == "compiler-artifact" and .profile.test == true and .executable != null)
        | "\(.target.name)\(if .target.kind[0] == "test" then "" else "-" + .target.kind[0] end)"
          + " \(.executable)"' "$LOG/$tg.tests.json" >"$LOG/$tg.tests"
    return $rc
}

# cross_run_tests TARGET TIMEOUT: runs every binary of $LOG/TARGET.tests; sets PASSED FAILED
# SKIPPED IGNORED and appends failures to $LOG/TARGET.failures.
cross_run_tests() {
    local tg=$1 limit=$2 runner name exe out rc line
    runner=$(cross_runner "$tg")
    PASSED=0 FAILED=0 SKIPPED=0 IGNORED=0
    : >"$LOG/$tg.failures"
    : >"$LOG/$tg.skips"
    mkdir -p "$TMPW"
    while read -r name exe; do
        out=$LOG/$tg.run.$name.log
        # The runner's working directory is the crate's, as under `cargo test`.
        # shellcheck disable=SC2086
        (cd "$ROOT" && JANGADA_CROSS=1 timeout "$limit" $runner "$exe" --show-output) \
            >"$out" 2>&1 </dev/null
        rc=$?
        local p f i s
        p=$(sed -n 's/^test result: .* \([0-9]*\) passed.*/\1/p' "$out" | awk '{n += $1} END {print n + 0}')
        f=$(sed -n 's/^test result: .* \([0-9]*\) failed.*/\1/p' "$out" | awk '{n += $1} END {print n + 0}')
        i=$(sed -n 's/^test result: .* \([0-9]*\) ignored.*/\1/p' "$out" | awk '{n += $1} END {print n + 0}')
        s=$(grep -c '^cross-skip: ' "$out")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
            # Crashed or timed out before its summary: the test it was running fails.
            f=1
            line=$(grep -E '^test .* \.\.\. *$|^test [^ ]+ \.\.\.' "$out" | tail -1)
            echo "$name: exit $rc ($([ $rc -eq 124 ] && echo "timeout ${limit}s" || echo crash)) after: ${line:-start}" \
                >>"$LOG/$tg.failures"
            grep -m3 -E "panicked at|wasi-run:|RuntimeError" -A2 "$out" | sed 's/^/    /' \
                >>"$LOG/$tg.failures"
        elif [ "$f" -gt 0 ]; then
            grep -E '^test .* FAILED$' "$out" | sed "s/^/$name: /" >>"$LOG/$tg.failures"
            grep -m5 -E "panicked at" -A3 "$out" | sed 's/^/    /' >>"$LOG/$tg.failures"
        fi
        grep '^cross-skip: ' "$out" | sed "s/^cross-skip: /$name: /" >>"$LOG/$tg.skips"
        printf '   %-28s rc=%-3s passed %-4s failed %-3s skipped %-3s ignored %s\n' \
            "$name" "$rc" "$((p - s))" "$f" "$s" "$i"
        PASSED=$((PASSED + p - s)) FAILED=$((FAILED + f)) SKIPPED=$((SKIPPED + s))
        IGNORED=$((IGNORED + i))
    done <"$LOG/$tg.tests"
}
