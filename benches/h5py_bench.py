"""The h5py side of the jangada-hdf5 benchmarks: the same workloads, sizes and timing method as
`benches/src/main.rs` (see its module doc for the list).

`time.perf_counter()` around the workload only (set-up, clean-up and sanity checks outside it),
`--warmup` untimed runs, `--reps` timed runs, median reported. Files go to `--dir` and are
deleted after each run; nothing is fsync'ed. h5py's defaults throughout (libver='earliest',
default chunk guess), as jangada uses it.

W8 and W9 have a third side, Python jangada 0.1.9 ("side": "jangada"): the same objects saved,
loaded and opened lazily with `jangada.serialization.Persistable`. Their "h5py" side writes and
reads the identical group/attribute/dataset tree with h5py directly (W8), or reads the slices
with h5py directly (W9).

Peak memory: before each timed run VmHWM is reset (`5` written to /proc/self/clear_refs,
Linux >= 4.0); after it, VmHWM is read from /proc/self/status. Reported: the largest peak over
the timed runs (`rss_peak_kib`) and the largest growth over the RSS at the reset
(`rss_growth_kib`); both absent when the reset is not supported.

W11 (filter throughput, see `benches/src/filters.rs`): h5py with hdf5plugin's C filters,
one entry of `W11_FILTERS` per filter (the same names as `FILTERS` there). `--prepare` with
`--only W11-x-read` (or `W11`) only writes the reference file(s) that both sides then decode,
`w11-x.h5` in `--dir`, and exits.

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
# W8-W10 (as `MetaSizes` in src/main.rs).
FULL.update(items=1_000, lazy_len=32 * 1024 * 1024, lazy_slices=1_000, files=10_000)
SMOKE.update(items=50, lazy_len=256 * 1024, lazy_slices=50, files=100)
# W11 (as `W11Sizes` in src/main.rs): elements of each of the 3 datasets, bytes per chunk.
FULL.update(w11_len=4 * 1024 * 1024, w11_chunk=1 << 20)
SMOKE.update(w11_len=64 * 1024, w11_chunk=64 << 10)

MASK64 = (1 << 64) - 1


def offsets(length, slice_len, count):
    """W3's offsets: the same 64-bit LCG, seed 42, as `Offsets` in src/main.rs."""
    state, rng, out = 42, length - slice_len + 1, []
    for _ in range(count):
        state = (state * 6364136223846793005 + 1442695040888963407) & MASK64
        out.append((state >> 33) % rng)
    return out


def status_kib(field):
    """A kB field of /proc/self/status (VmHWM, VmRSS), or None."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def reset_peak_rss():
    """Reset VmHWM to the current RSS; the current RSS in KiB, or None if unsupported."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        return None
    hwm, rss = status_kib("VmHWM"), status_kib("VmRSS")
    if hwm is None or rss is None or hwm > rss + 1024:
        return None
    return rss


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
    ap.add_argument("--prepare", action="store_true", help="W11: only write the reference files")
    opts = ap.parse_args()
    if opts.reps < 1:
        sys.exit("--reps must be at least 1")
    only = None if opts.only is None else [w.strip() for w in opts.only.split(",")]
    s = SMOKE if opts.smoke else FULL
    os.makedirs(opts.dir, exist_ok=True)
    if opts.prepare:
        w11_prepare(opts, s, only)
        return

    def bench(workload, what, nbytes, run, side="h5py"):
        if only is not None and workload not in only and not (workload.startswith("W11-") and "W11" in only):
            return
        for _ in range(opts.warmup):
            run()
        times, peak, growth, rss_ok = [], 0, 0, True
        for _ in range(opts.reps):
            base = reset_peak_rss()
            times.append(run())
            hwm = status_kib("VmHWM")
            if base is None or hwm is None:
                rss_ok = False
            else:
                peak, growth = max(peak, hwm), max(growth, hwm - base)
        row = dict(side=side, workload=workload, what=what, bytes=nbytes,
                   times=[round(t, 6) for t in times], median=round(statistics.median(times), 6))
        if rss_ok:
            row.update(rss_peak_kib=peak, rss_growth_kib=growth)
        print(json.dumps(row), flush=True)

    def wanted(workload):
        return only is None or workload in only

    big_len = s["big_len"]
    big_bytes = big_len * 8
    # The 256 MiB source array only when a workload needs it (so that the peak RSS of the
    # other workloads does not include it).
    needs_big = any(wanted(w) for w in ("W1", "W2", "W3", "W3-buf", "P-memcpy", "P-write", "P-read", "P-slices"))
    big = np.arange(big_len if needs_big else 0, dtype=np.float64)
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
    if wanted("W2") or wanted("W3") or wanted("W3-buf"):
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

    # W3-buf: into one reused array (h5py's read_direct)
    def w3_buf():
        t = time.perf_counter()
        first_sum = 0.0
        buf = np.empty(sl, dtype=np.float64)
        with h5py.File(h5, "r") as f:
            ds = f["data"]
            for o in offs:
                ds.read_direct(buf, np.s_[o:o + sl])
                first_sum += buf[0]
        d = time.perf_counter() - t
        if first_sum != float(sum(offs)):
            raise SystemExit(f"W3-buf first elements sum to {first_sum}")
        return d

    bench("W3-buf", "random 100-element slices into a reused buffer", s["slices"] * sl * 8, w3_buf)
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

    meta(opts, s, bench, wanted)
    w11(opts, s, bench, only)

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


def meta(opts, s, bench, wanted):
    """W8-W10 (see src/meta.rs)."""
    if wanted("W8-save") or wanted("W8-load") or wanted("W9"):
        w8_w9(opts, s, bench, wanted)
    if wanted("W10-write") or wanted("W10-read"):
        w10(opts, s, bench, wanted)


def w8_w9(opts, s, bench, wanted):
    """W8 (save/load 1,000 nested objects) and W9 (lazy slices), Python jangada and h5py."""
    from jangada.serialization import Persistable, SerializableProperty

    class Item(Persistable):
        name = SerializableProperty(default="")
        count = SerializableProperty(default=0)
        value = SerializableProperty(default=0.0)
        flag = SerializableProperty(default=False)
        note = SerializableProperty(default=None)
        data = SerializableProperty(default=None)

    class Holder(Persistable):
        items = SerializableProperty(default=None)

    class Big(Persistable):
        data = SerializableProperty(default=None)

    n = s["items"]
    # The same values as holder() in src/meta.rs.
    plain = [dict(name=f"item{i}", count=i, value=i * 0.5, flag=i % 2 == 0, note=None,
                  data=np.arange(i, i + 10, dtype=np.float64)) for i in range(n)]
    holder = Holder(items=[Item(**d) for d in plain])
    nbytes = n * 10 * 8
    j8 = os.path.join(opts.dir, "jangada_w8.hdf5")
    h8 = os.path.join(opts.dir, "h5py_w8.hdf5")
    item_class = f"{Item.__module__}.{Item.__qualname__}"
    holder_class = f"{Holder.__module__}.{Holder.__qualname__}"

    def check_items(items):
        # jangada sorts list items by name as strings ("10" before "2"): find the last one.
        get = (lambda o, k: o[k]) if isinstance(items[0], dict) else getattr
        last = max(items, key=lambda o: get(o, "count"))
        if len(items) != n or get(last, "name") != f"item{n - 1}" or get(last, "note") is not None \
                or float(get(last, "data")[-1]) != n + 8.0 or get(last, "flag") != ((n - 1) % 2 == 0):
            raise SystemExit("W8: loaded tree differs")

    def raw_save(path):
        """jangada's layout, written with h5py directly."""
        with h5py.File(path, "w") as f:
            root = f.create_group("root")
            root.attrs["__class__"] = holder_class
            root.attrs["__container_type__"] = "dict"
            items = root.create_group("items", track_order=True)
            items.attrs["__container_type__"] = "list"
            for i, d in enumerate(plain):
                g = items.create_group(str(i))
                g.attrs["__class__"] = item_class
                g.attrs["__container_type__"] = "dict"
                g.attrs["count"] = d["count"]
                g.attrs["flag"] = d["flag"]
                g.attrs["name"] = d["name"]
                g.attrs["note"] = "NoneType:None"
                g.attrs["value"] = d["value"]
                ds = g.create_dataset("data", data=d["data"], maxshape=(None,))
                ds.attrs["__dataset_type__"] = "numpy.ndarray"

    def raw_load(path):
        """Read that tree back into dicts and arrays with h5py directly."""
        def scalar(v):
            if isinstance(v, str):
                return None if v == "NoneType:None" else v
            return bool(v) if isinstance(v, np.bool_) else v
        out = []
        with h5py.File(path, "r") as f:
            items = f["root"]["items"]
            for i in range(len(items)):
                g = items[str(i)]
                d = {k: scalar(v) for k, v in g.attrs.items()}
                d["data"] = g["data"][...]
                out.append(d)
        return out

    for side, save, load, path in (("jangada", holder.save, Holder.load, j8),
                                   ("h5py", raw_save, raw_load, h8)):
        def w8_save():
            remove(path)
            t = time.perf_counter()
            save(path)
            d = time.perf_counter() - t
            if not os.path.isfile(path):
                raise SystemExit("W8-save: no file")
            remove(path)
            return d

        bench("W8-save", "save 1,000 nested objects", nbytes, w8_save, side=side)
        if wanted("W8-load"):
            remove(path)
            save(path)

        def w8_load():
            t = time.perf_counter()
            back = load(path)
            d = time.perf_counter() - t
            check_items(back.items if side == "jangada" else back)
            return d

        bench("W8-load", "load 1,000 nested objects", nbytes, w8_load, side=side)
        remove(path)
    del holder, plain

    # W9: 1,000 slices through jangada's ProxyDataset (and through h5py directly).
    length, sl, count = s["lazy_len"], s["slice_len"], s["lazy_slices"]
    offs = offsets(length, sl, count)
    j9 = os.path.join(opts.dir, "jangada_w9.hdf5")
    if wanted("W9"):
        remove(j9)
        Big(data=np.arange(length, dtype=np.float64)).save(j9)

    def w9_jangada():
        t = time.perf_counter()
        first_sum = 0.0
        with Big(j9, mode="r") as b:
            data = b.data
            for o in offs:
                first_sum += data[o:o + sl][0]
        d = time.perf_counter() - t
        if first_sum != float(sum(offs)):
            raise SystemExit(f"W9 first elements sum to {first_sum}")
        return d

    def w9_h5py():
        t = time.perf_counter()
        first_sum = 0.0
        with h5py.File(j9, "r") as f:
            ds = f["root"]["data"]
            for o in offs:
                first_sum += ds[o:o + sl][0]
        d = time.perf_counter() - t
        if first_sum != float(sum(offs)):
            raise SystemExit(f"W9 first elements sum to {first_sum}")
        return d

    what = "lazy proxy: 1,000 100-element slices"
    bench("W9", what, count * sl * 8, w9_jangada, side="jangada")
    bench("W9", what, count * sl * 8, w9_h5py)
    remove(j9)


def w10(opts, s, bench, wanted):
    """W10: many tiny files (a group with 3 attributes and a 10-element dataset each)."""
    # The empty files are created before the timed loop, which opens each with "w"
    # (truncating), writes its tree and closes it (see src/meta.rs: creating inodes on this
    # ext4 measured the file system's state, not the library). Each run writes into a
    # directory of its own; nothing is deleted (run.sh removes its temporary directory).
    tiny = os.path.join(opts.dir, f"h5py_w10_{os.getpid()}")
    n = s["files"]
    data = np.arange(10, dtype=np.float64)
    runs = [0]

    def names(k):
        return [os.path.join(tiny, f"run{k}", f"f{i:05}.h5") for i in range(n)]

    def write_all():
        runs[0] += 1
        paths = names(runs[0])
        os.makedirs(os.path.dirname(paths[0]))
        for name in paths:
            open(name, "wb").close()
        t = time.perf_counter()
        for i, name in enumerate(paths):
            with h5py.File(name, "w") as f:
                g = f.create_group("g")
                g.attrs["index"] = i
                g.attrs["scale"] = 0.5
                g.attrs["label"] = "tiny"
                g.create_dataset("data", data=data)
        return time.perf_counter() - t

    def w10_write():
        d = write_all()
        if not os.path.isfile(names(runs[0])[-1]):
            raise SystemExit("W10-write: no file")
        return d

    bench("W10-write", "create 10,000 tiny files", n * 80, w10_write)
    if wanted("W10-read") and runs[0] == 0:
        write_all()
    want = float(sum(i + 45 for i in range(n)))
    last = names(runs[0])

    def w10_read():
        t = time.perf_counter()
        total = 0.0
        for name in last:
            with h5py.File(name, "r") as f:
                g = f["g"]
                index, scale, label = g.attrs["index"], g.attrs["scale"], g.attrs["label"]
                total += float(index) + float(g["data"][...].sum())
                if label != "tiny" or scale != 0.5:
                    raise SystemExit("W10-read: bad attributes")
        d = time.perf_counter() - t
        if total != want:
            raise SystemExit(f"W10-read: sum {total}, want {want}")
        return d

    bench("W10-read", "read 10,000 tiny files", n * 80, w10_read)


# W11: name -> the h5py `create_dataset` keyword arguments of that filter (hdf5plugin's C
# filters; a function, so that hdf5plugin is imported only for W11). One line per filter, the
# same names as `FILTERS` in src/filters.rs.
W11_FILTERS = {
    "lzf": lambda hp: dict(compression="lzf"),
    "lz4": lambda hp: dict(hp.LZ4()),
    "zstd1": lambda hp: dict(hp.Zstd(clevel=1)),
    "zstd5": lambda hp: dict(hp.Zstd(clevel=5)),
    "bitshuffle": lambda hp: dict(hp.Bitshuffle(cname="none")),
    "bitshuffle-lz4": lambda hp: dict(hp.Bitshuffle(cname="lz4")),
    "bitshuffle-zstd": lambda hp: dict(hp.Bitshuffle(cname="zstd", clevel=3)),
    "deflate": lambda hp: dict(compression="gzip", compression_opts=4),
    "shuffle-deflate": lambda hp: dict(shuffle=True, compression="gzip", compression_opts=4),
    "bzip2": lambda hp: dict(hp.BZip2(blocksize=9)),
    "blosc-blosclz": lambda hp: dict(hp.Blosc(cname="blosclz", clevel=5, shuffle=hp.Blosc.SHUFFLE)),
    "blosc-lz4": lambda hp: dict(hp.Blosc(cname="lz4", clevel=5, shuffle=hp.Blosc.SHUFFLE)),
    "blosc-zstd": lambda hp: dict(hp.Blosc(cname="zstd", clevel=5, shuffle=hp.Blosc.SHUFFLE)),
    "blosc2-lz4": lambda hp: dict(hp.Blosc2(cname="lz4", clevel=5, filters=hp.Blosc2.SHUFFLE)),
    "blosc2-zstd": lambda hp: dict(hp.Blosc2(cname="zstd", clevel=5, filters=hp.Blosc2.SHUFFLE)),
    "szip": lambda hp: dict(compression="szip", compression_opts=("nn", 16)),
    "zfp-reversible": lambda hp: dict(hp.Zfp(reversible=True)),
}


def w11_plugin():
    """hdf5plugin, its filters restricted to one thread (Blosc's own pool included)."""
    os.environ.setdefault("BLOSC_NTHREADS", "1")
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import hdf5plugin
    return hdf5plugin


def w11_data(n):
    """The W11 series (`series` in src/filters.rs: the same integer formulas, bit-identical)."""
    i = np.arange(n, dtype=np.uint64)
    z = i + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    h = z ^ (z >> np.uint64(31))

    def tri(p, amp):
        x = np.abs(2 * (i % np.uint64(p)).astype(np.int64) - p)
        return amp * x // p

    def bits(shift, mask):
        return ((h >> np.uint64(shift)) & np.uint64(mask)).astype(np.int64)

    f8 = (tri(100_003, 40_000) + bits(0, 7)).astype(np.float64) * 1e-3
    f4 = ((tri(7_919, 5_000) + bits(8, 3)).astype(np.float64) * 0.01).astype(np.float32)
    i4 = (1_000 + tri(2_053, 600) + bits(16, 15)).astype(np.int32)
    return dict(f8=f8, f4=f4, i4=i4)


def w11_names(only):
    """The W11 filter names selected by `only` (None: all)."""
    return [n for n in W11_FILTERS
            if only is None or "W11" in only or f"W11-{n}-write" in only or f"W11-{n}-read" in only]


def w11_write(path, data, chunk_bytes, kwargs):
    with h5py.File(path, "w") as f:
        for name, a in data.items():
            chunk = max(1, min(len(a), chunk_bytes // a.dtype.itemsize))
            f.create_dataset(name, data=a, chunks=(chunk,), **kwargs)


def w11_read(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][...] for name in ("f8", "f4", "i4")}


def w11_check(what, data, back):
    for k, a in data.items():
        if back[k].dtype != a.dtype or not np.array_equal(back[k], a):
            raise SystemExit(f"{what}: {k} read back differs from the data written")


def w11_reference(d, name):
    return os.path.join(d, f"w11-{name}.h5")


def w11_prepare(opts, s, only):
    """Write the reference files both sides decode in W11-x-read."""
    names = [n for n in w11_names(only) if only is None or "W11" in only or f"W11-{n}-read" in only]
    if not names:
        return
    hp, data = w11_plugin(), w11_data(s["w11_len"])
    for n in names:
        w11_write(w11_reference(opts.dir, n), data, s["w11_chunk"], W11_FILTERS[n](hp))


def w11(opts, s, bench, only):
    """W11: encode and decode throughput of each filter (see src/filters.rs)."""
    names = w11_names(only)
    if not names:
        return
    hp, data = w11_plugin(), w11_data(s["w11_len"])
    nbytes = sum(a.nbytes for a in data.values())
    path = os.path.join(opts.dir, "h5py_w11.h5")

    def sel(w):
        return only is None or "W11" in only or w in only

    for n in names:
        kwargs = W11_FILTERS[n](hp)
        w = f"W11-{n}-write"
        size = [0]

        def write():
            remove(path)
            t = time.perf_counter()
            w11_write(path, data, s["w11_chunk"], kwargs)
            d = time.perf_counter() - t
            size[0] = os.path.getsize(path)
            w11_check(w, data, w11_read(path))
            remove(path)
            return d

        if sel(w):
            bench(w, f"encode {n}", nbytes, write)
            print(json.dumps(dict(side="h5py", workload=w, file_bytes=size[0])), flush=True)
        r = f"W11-{n}-read"
        if not sel(r):
            continue
        ref = w11_reference(opts.dir, n)
        src, source = (ref, "h5py") if os.path.isfile(ref) else (path, "ours")
        if source == "ours":
            remove(path)
            w11_write(path, data, s["w11_chunk"], kwargs)
        back = [None]

        def read():
            t = time.perf_counter()
            got = w11_read(src)
            d = time.perf_counter() - t
            back[0] = got
            return d

        bench(r, f"decode {n}", nbytes, read)
        w11_check(r, data, back[0])
        print(json.dumps(dict(side="h5py", workload=r, source=source)), flush=True)
        remove(path)


if __name__ == "__main__":
    main()
