"""The h5py side of the jangada-hdf5 benchmarks: the same workloads, sizes and timing method as
`benches/src/main.rs` (see its module doc for the list).

`time.perf_counter()` around the workload only (set-up, clean-up and sanity checks outside it),
`--warmup` untimed runs, `--reps` timed runs, median reported. Files go to `--dir` and are
deleted after each run; nothing is fsync'ed. h5py's defaults throughout (libver='earliest',
default chunk guess), as jangada uses it.

Output: one JSON object per line on stdout (same fields as the Rust side, "side": "h5py").
"""

import argparse
import json
import os
import statistics
import sys
import time

import h5py
import numpy as np

FULL = dict(big_len=32 * 1024 * 1024, appends=10_000, append_len=1_000, cycles=1_000, cycle_len=100,
            slices=10_000, slice_len=100, square=8192, window=512, window_reads=1_000,
            smooth_len=8 * 1024 * 1024)
SMOKE = dict(big_len=256 * 1024, appends=200, append_len=1_000, cycles=50, cycle_len=100,
             slices=200, slice_len=100, square=512, window=64, window_reads=20, smooth_len=64 * 1024)

MASK64 = (1 << 64) - 1


def offsets(length, slice_len, count):
    """W3's offsets: the same 64-bit LCG, seed 42, as `Offsets` in src/main.rs."""
    state, rng, out = 42, length - slice_len + 1, []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK64
        out.append((state >> 33) % rng)
    return out


def remove(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", default="/tmp")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--only", default=None)
    opts = ap.parse_args()
    if opts.reps < 1:
        sys.exit("--reps must be at least 1")
    only = None if opts.only is None else [w.strip() for w in opts.only.split(",")]
    s = SMOKE if opts.smoke else FULL
    os.makedirs(opts.dir, exist_ok=True)

    def bench(workload, what, nbytes, run):
        if only is not None and workload not in only:
            return
        for _ in range(opts.warmup):
            run()
        times = [run() for _ in range(opts.reps)]
        print(json.dumps(dict(side="h5py", workload=workload, what=what, bytes=nbytes,
                              times=[round(t, 6) for t in times],
                              median=round(statistics.median(times), 6))), flush=True)

    def wanted(workload):
        return only is None or workload in only

    big_len = s["big_len"]
    big_bytes = big_len * 8
    big = np.arange(big_len, dtype=np.float64)
    h5 = os.path.join(opts.dir, "h5py_bench.h5")
    raw = os.path.join(opts.dir, "h5py_bench.bin")

    def write_big():
        with h5py.File(h5, "w-") as f:
            f.create_dataset("data", data=big, maxshape=(None,))

    def create_empty():
        with h5py.File(h5, "w-") as f:
            f.create_dataset("data", shape=(0,), dtype=np.float64, maxshape=(None,))

    def check_len(want):
        with h5py.File(h5, "r") as f:
            shape = f["data"].shape
        if shape != (want,):
            raise SystemExit(f"{h5}: shape {shape}, want ({want},)")

    # W1
    def w1():
        remove(h5)
        t = time.perf_counter()
        write_big()
        d = time.perf_counter() - t
        check_len(big_len)
        remove(h5)
        return d

    bench("W1", "write chunked f64, maxshape=(None,)", big_bytes, w1)

    # W2
    if wanted("W2") or wanted("W3"):
        remove(h5)
        write_big()

    def w2():
        t = time.perf_counter()
        with h5py.File(h5, "r") as f:
            a = f["data"][...]
        d = time.perf_counter() - t
        if a.shape != (big_len,) or a[-1] != big_len - 1:
            raise SystemExit(f"W2 read {a.shape}")
        return d

    bench("W2", "read chunked f64 whole", big_bytes, w2)

    # W3
    offs = offsets(big_len, s["slice_len"], s["slices"])
    sl = s["slice_len"]

    def w3():
        t = time.perf_counter()
        first_sum = 0.0
        with h5py.File(h5, "r") as f:
            ds = f["data"]
            for o in offs:
                first_sum += ds[o:o + sl][0]
        d = time.perf_counter() - t
        if first_sum != float(sum(offs)):
            raise SystemExit(f"W3 first elements sum to {first_sum}")
        return d

    bench("W3", "random 100-element slices", s["slices"] * sl * 8, w3)
    remove(h5)

    # W4
    chunk = np.arange(s["append_len"], dtype=np.float64)

    def append(ds, data):
        n = ds.shape[0]
        ds.resize((n + data.shape[0],))
        ds[n:] = data

    def w4():
        remove(h5)
        create_empty()
        t = time.perf_counter()
        with h5py.File(h5, "r+") as f:
            ds = f["data"]
            for _ in range(s["appends"]):
                append(ds, chunk)
        d = time.perf_counter() - t
        check_len(s["appends"] * s["append_len"])
        remove(h5)
        return d

    bench("W4", "appends in one open file", s["appends"] * s["append_len"] * 8, w4)

    # W5
    small = np.arange(s["cycle_len"], dtype=np.float64)

    def w5():
        remove(h5)
        create_empty()
        t = time.perf_counter()
        for _ in range(s["cycles"]):
            with h5py.File(h5, "r+") as f:
                append(f["data"], small)
        d = time.perf_counter() - t
        check_len(s["cycles"] * s["cycle_len"])
        remove(h5)
        return d

    bench("W5", "open r+/append/close cycles", s["cycles"] * s["cycle_len"] * 8, w5)
    del chunk, small

    # W6
    side, win = s["square"], s["window"]
    if wanted("W6-write") or wanted("W6-read") or wanted("P-window"):
        sq = (np.arange(side * side, dtype=np.int64) % 65536).astype(np.float32).reshape(side, side)
    else:
        sq = None

    def write_square():
        with h5py.File(h5, "w-") as f:
            f.create_dataset("data", data=sq, maxshape=(None, side))

    def w6_write():
        remove(h5)
        t = time.perf_counter()
        write_square()
        d = time.perf_counter() - t
        with h5py.File(h5, "r") as f:
            if f["data"].shape != (side, side):
                raise SystemExit("W6-write: bad shape")
        remove(h5)
        return d

    bench("W6-write", "write 2-D f32 chunked, maxshape=(None, n)", side * side * 4, w6_write)
    w0, w1 = (side - win) // 2, (side + win) // 2
    win_bytes = s["window_reads"] * win * win * 4
    if wanted("W6-read"):
        remove(h5)
        write_square()

    def w6_read():
        t = time.perf_counter()
        corner = 0.0
        with h5py.File(h5, "r") as f:
            ds = f["data"]
            for _ in range(s["window_reads"]):
                a = ds[w0:w1, w0:w1]
                corner += float(a[0, 0])
        d = time.perf_counter() - t
        want = float((w0 * side + w0) % 65536) * s["window_reads"]
        if corner != want:
            raise SystemExit(f"W6-read: corners sum to {corner}, want {want}")
        return d

    bench("W6-read", "1,000 reads of a 2-D window", win_bytes, w6_read)
    remove(h5)

    def p_window():
        t = time.perf_counter()
        for _ in range(s["window_reads"]):
            sq[w0:w1, w0:w1].copy()
        return time.perf_counter() - t

    bench("P-window", "copy a 2-D window in memory", win_bytes, p_window)
    del sq

    # W7
    n7 = s["smooth_len"]
    sm = np.sin(np.arange(n7, dtype=np.float64) / 1000.0) if (wanted("W7-write") or wanted("W7-read")) else None

    def write_smooth():
        with h5py.File(h5, "w-") as f:
            f.create_dataset("data", data=sm, compression="gzip", compression_opts=4, shuffle=True)

    def w7_write():
        remove(h5)
        t = time.perf_counter()
        write_smooth()
        d = time.perf_counter() - t
        check_len(n7)
        remove(h5)
        return d

    bench("W7-write", "write f64 shuffle+deflate(4)", n7 * 8, w7_write)
    if wanted("W7-read"):
        remove(h5)
        write_smooth()

    def w7_read():
        t = time.perf_counter()
        with h5py.File(h5, "r") as f:
            a = f["data"][...]
        d = time.perf_counter() - t
        if a.shape != (n7,) or a[-1] != sm[-1]:
            raise SystemExit("W7-read: bad data")
        return d

    bench("W7-read", "read f64 shuffle+deflate(4)", n7 * 8, w7_read)
    remove(h5)
    del sm

    # Physical limits, as seen from Python.
    dest = np.ones_like(big)

    def p_memcpy():
        t = time.perf_counter()
        np.copyto(dest, big)
        return time.perf_counter() - t

    bench("P-memcpy", "memcpy", big_bytes, p_memcpy)
    del dest

    def p_write():
        remove(raw)
        t = time.perf_counter()
        with open(raw, "wb") as f:
            f.write(memoryview(big).cast("B"))
        d = time.perf_counter() - t
        remove(raw)
        return d

    bench("P-write", "plain file write", big_bytes, p_write)

    if wanted("P-read") or wanted("P-slices"):
        with open(raw, "wb") as f:
            f.write(memoryview(big).cast("B"))

    def p_read():
        t = time.perf_counter()
        a = np.fromfile(raw, dtype=np.float64)
        d = time.perf_counter() - t
        if a.shape != (big_len,):
            raise SystemExit("P-read: short read")
        return d

    bench("P-read", "plain file read", big_bytes, p_read)

    def p_slices():
        t = time.perf_counter()
        fd = os.open(raw, os.O_RDONLY)
        try:
            for o in offs:
                os.pread(fd, sl * 8, o * 8)
        finally:
            os.close(fd)
        return time.perf_counter() - t

    bench("P-slices", "plain preads at W3's offsets", s["slices"] * sl * 8, p_slices)
    remove(raw)
    del big

    piece = bytes(s["append_len"] * 8)

    def p_append():
        remove(raw)
        t = time.perf_counter()
        with open(raw, "wb", buffering=0) as f:
            for _ in range(s["appends"]):
                f.write(piece)
        d = time.perf_counter() - t
        remove(raw)
        return d

    bench("P-append", "plain appends in one open file", s["appends"] * s["append_len"] * 8, p_append)

    small_piece = bytes(s["cycle_len"] * 8)

    def p_reopen():
        remove(raw)
        open(raw, "wb").close()
        t = time.perf_counter()
        for _ in range(s["cycles"]):
            with open(raw, "ab", buffering=0) as f:
                f.write(small_piece)
        d = time.perf_counter() - t
        remove(raw)
        return d

    bench("P-reopen", "plain open/append/close cycles", s["cycles"] * s["cycle_len"] * 8, p_reopen)


if __name__ == "__main__":
    main()
