#!/usr/bin/env bash
# Benchmarks of jangada-hdf5 against h5py (and Python jangada for W8/W9) on this machine.
#
#   bash benches/run.sh [--smoke] [--reps N] [--warmup N] [--only W1,W2,...] [--thp]
#
# --only takes workload names and the group W11 (every W11-<filter>-write / -read, listed by
# the Rust binary's `--list W11`). A run that does not cover every workload keeps the rows of
# the others from benches/results.jsonl (the report lists which).
#
# --thp runs the Rust side with GLIBC_TUNABLES=glibc.malloc.hugetlb=1 (glibc >= 2.35: large
# allocations get madvise(MADV_HUGEPAGE), as numpy does for its arrays); off by default.
#
# Builds the Rust bench binary (release), then runs every workload on both sides, alternating
# Rust and Python workload by workload (so that a change in machine load hits both), and writes
# the table with machine info and versions:
#   full run  -> benches/RESULTS.md (commit it)
#   --smoke   -> target/jangada-bench/RESULTS-smoke.md (tiny sizes, 1 run, no warm-up; < 60 s)
# Python: $BENCH_PYTHON if set, else <repo>/.venv/bin/python (created by scripts/setup-python.sh
# when missing). Temporary files: a fresh directory under ${TMPDIR:-/tmp}, removed at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SMOKE=0
THP=0
REPS=5
WARMUP=1
ONLY="W1,W2,W3,W3-buf,W4,W5,W6-write,W6-read,W7-write,W7-read,W8-save,W8-load,W9,W10-write,W10-read,W11,P-memcpy,P-write,P-read,P-slices,P-append,P-reopen,P-window"
while [ $# -gt 0 ]; do
    case "$1" in
        --smoke) SMOKE=1 ;;
        --reps) REPS="$2"; shift ;;
        --warmup) WARMUP="$2"; shift ;;
        --only) ONLY="$2"; shift ;;
        --thp) THP=1 ;;
        *) echo "usage: bash benches/run.sh [--smoke] [--reps N] [--warmup N] [--only W1,...] [--thp]" >&2; exit 2 ;;
    esac
    shift
done
SIZE_FLAG=()
if [ "$SMOKE" = 1 ]; then
    SIZE_FLAG=(--smoke)
    # 1 timed run, no warm-up, unless asked otherwise on the command line.
    [[ " $* " == *" --reps "* ]] || REPS=1
    WARMUP=0
fi

if [ -n "${BENCH_PYTHON:-}" ]; then
    PY="$BENCH_PYTHON"
else
    [ -x "$ROOT/.venv/bin/python" ] || bash "$ROOT/scripts/setup-python.sh"
    PY="$ROOT/.venv/bin/python"
fi

echo "run.sh: building jangada-bench (release)" >&2
cargo build --release -q -p jangada-bench
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/jangada-bench"

TMP="$(mktemp -d "${TMPDIR:-/tmp}/jangada-bench.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT
RAW="$TMP/results.jsonl"
: > "$RAW"

i=0
# Groups expanded into their workloads.
IFS=',' read -ra ASKED <<< "$ONLY"
WORKLOADS=()
for w in "${ASKED[@]}"; do
    if [ "$w" = W11 ] && [ "$SMOKE" = 1 ]; then
        # Smoke: the whole group in one process per side (interpreter start-ups dominate).
        WORKLOADS+=("$w")
    elif [ "$w" = W11 ]; then
        IFS=',' read -ra GROUP <<< "$("$BIN" --list W11)"
        WORKLOADS+=("${GROUP[@]}")
    else
        WORKLOADS+=("$w")
    fi
done
for w in "${WORKLOADS[@]}"; do
    # W11 decode: both sides read the file h5py + hdf5plugin writes (untimed, here).
    if [[ "$w" == W11-*-read || "$w" == W11 ]]; then
        "$PY" "$ROOT/benches/h5py_bench.py" --dir "$TMP/data" --only "$w" --prepare "${SIZE_FLAG[@]}"
    fi
    rust=(env)
    [ "$THP" = 1 ] && rust+=(GLIBC_TUNABLES=glibc.malloc.hugetlb=1)
    rust+=("$BIN" --dir "$TMP/data" --reps "$REPS" --warmup "$WARMUP" --only "$w" "${SIZE_FLAG[@]}")
    python=("$PY" "$ROOT/benches/h5py_bench.py" --dir "$TMP/data" --reps "$REPS" --warmup "$WARMUP" --only "$w" "${SIZE_FLAG[@]}")
    echo "run.sh: $w" >&2
    # Alternate which side goes first.
    if [ $((i % 2)) = 0 ]; then
        "${rust[@]}" >> "$RAW"; "${python[@]}" >> "$RAW"
    else
        "${python[@]}" >> "$RAW"; "${rust[@]}" >> "$RAW"
    fi
    i=$((i + 1))
    rm -f "$TMP"/data/w11-*.h5
done

BENCH_PY="$("$PY" -c 'import platform; print(platform.python_version())')"
BENCH_H5PY="$("$PY" -c 'import h5py; print(h5py.version.version)')"
BENCH_HDF5="$("$PY" -c 'import h5py; print(h5py.version.hdf5_version)')"
BENCH_NUMPY="$("$PY" -c 'import numpy; print(numpy.__version__)')"
BENCH_FS="$(df -T "$TMP" | awk 'NR==2 {print $2 " (" $1 ")"}')"
BENCH_THP="$THP"
export BENCH_PY BENCH_H5PY BENCH_HDF5 BENCH_NUMPY BENCH_FS BENCH_THP

if [ "$SMOKE" = 1 ]; then
    mkdir -p "$ROOT/target/jangada-bench"
    OUT="$ROOT/target/jangada-bench/RESULTS-smoke.md"
    "$PY" "$ROOT/benches/report.py" "$RAW" "$OUT" --smoke --reps "$REPS" --warmup "$WARMUP"
else
    OUT="$ROOT/benches/RESULTS.md"
    # Rows of workloads this run did not cover are kept from the previous results.
    "$PY" "$ROOT/benches/report.py" "$RAW" "$OUT" --reps "$REPS" --warmup "$WARMUP" \
        --keep "$ROOT/benches/results.jsonl"
    cp "$RAW" "$ROOT/benches/results.jsonl"
fi
echo "run.sh: wrote $OUT" >&2
